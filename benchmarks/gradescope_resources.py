"""What one Gradescope grading needs, per assignment: peak memory of the whole process tree and wall time.

For each assignment its autograder zip is unpacked into a real ``/autograder`` (as root, as Gradescope does;
``setup.sh`` with ``COURSE_PYTHON`` set to this environment, so no apt or pip), the solution notebook is put in
``/autograder/submission`` and ``run_autograder`` runs on one core (``taskset``; Gradescope's default is 1 CPU),
while this script sums the resident memory (``VmRSS``) of ``run_autograder`` and all its descendants (worker,
bubblewrap, kernel) every 0.1 s. Run as root, with nothing else running:

    COURSE_DATA_DIR=../shared/data python benchmarks/gradescope_resources.py [--cores 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course
from autograder.deploy import gradescope  # noqa: E402

BASE = Path("/autograder")


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and its descendants now."""
    parent, rss = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry.name}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parent[int(entry.name)] = int(fields.get("PPid", "0").strip())
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024 if "VmRSS" in fields else 0
    tree, frontier = {pid}, [pid]
    while frontier:
        frontier = [c for c, p in parent.items() if p in frontier and c not in tree]
        tree.update(frontier)
    return sum(rss.get(p, 0) for p in tree)


def measure(assignment: str, cores: str) -> dict:
    shutil.rmtree(BASE, ignore_errors=True)
    (BASE / "source").mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:  # private (0700): the zip holds the solution
        zip_path = gradescope.build_zip(assignment, Path(tmp) / f"gs-{assignment}.zip")
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(BASE / "source")
    for name in ("setup.sh", "run_autograder"):
        (BASE / "source" / name).chmod(0o755)
    env = {**os.environ, "COURSE_PYTHON": sys.executable}
    env.pop("GRADESCOPE_ROOT", None)
    subprocess.run(["bash", str(BASE / "source" / "setup.sh")], env=env, check=True, capture_output=True)
    for folder in ("submission", "results"):
        (BASE / folder).mkdir()
    shutil.copyfile(course.SOLUTIONS / assignment / f"{assignment}.ipynb", BASE / "submission" / f"{assignment}.ipynb")
    (BASE / "submission_metadata.json").write_text("{}")
    start = time.perf_counter()
    proc = subprocess.Popen(["taskset", "-c", cores, str(BASE / "source" / "run_autograder")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    log = proc.stdout.read()
    results = json.loads((BASE / "results" / "results.json").read_text())
    auto_max, _ = course.max_points(assignment)
    row = {"assignment": assignment, "peak_rss_mib": round(peak / 2**20), "wall_s": round(wall, 1),
           "score": results["score"], "auto_max": auto_max,
           "sandbox": next((ln for ln in log.splitlines() if ln.startswith("sandbox:")), "")}
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", default="0", help="CPUs run_autograder may use (taskset list; default one: 0)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                             f"gradescope-resources-{dt.date.today().isoformat()}.json"))
    parser.add_argument("assignments", nargs="*", default=None)
    args = parser.parse_args()
    if os.geteuid() != 0 or (BASE.exists() and not (BASE / ".course-kit-test").exists() and any(BASE.iterdir())):
        sys.exit("run as root, on a machine whose /autograder is free")
    rows = [measure(a, args.cores) for a in (args.assignments or course.assignments())]
    shutil.rmtree(BASE, ignore_errors=True)
    out = {"command": " ".join(["python", "benchmarks/gradescope_resources.py", *sys.argv[1:]]),
           "date": dt.datetime.now().isoformat(timespec="seconds"), "machine": platform.processor() or platform.machine(),
           "cpus_on_machine": os.cpu_count(), "cores_used": args.cores, "rows": rows}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
