"""What a sandboxed grading kernel does with its wall time: on a CPU, waiting for one, or asleep.

    python benchmarks/grading_waits.py [--assignment ID ...] [--jobs 1 2] [--out FILE.json]

Issue 41 item 7 asked what concurrent gradings wait on (notebook 06's gradings took 41.6 s of wall time for 30.2 s of
CPU with two slots in the 2026-12-06 class benchmark). This grades the bundled sample class's submissions of one
notebook with the kit, once per ``--jobs`` value, and samples every kernel's threads from ``/proc`` every 0.1 s:
``/proc/<pid>/task/<tid>/schedstat`` gives each thread's time on a CPU and its time *runnable but waiting for a
CPU* (the run queue), so a kernel's life splits into its main thread's CPU, run-queue wait and the rest (asleep:
waiting on I/O, a lock, a pipe, a child). The kernel's other threads (pools, the IOPub thread) are reported as their
CPU and run-queue wait. Per notebook it reports the worker's own account of each grading (wall, nbgrader's
autograde step, feedback, the worker's and the kernel's CPU seconds). Nothing here fails; it is a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _kernels() -> dict[int, dict[int, tuple[int, int]]]:
    """``{kernel pid: {tid: (ns on a CPU, ns waiting in the run queue)}}`` of every live grading kernel."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            if b"grading_kernel" not in cmd or b"bwrap" in cmd.split(b"\0")[0] or b"setpriv" in cmd.split(b"\0")[0]:
                continue
            tasks = {}
            for task in os.scandir(f"/proc/{entry.name}/task"):
                on_cpu, waiting, _ = Path(f"/proc/{entry.name}/task/{task.name}/schedstat").read_text().split()
                tasks[int(task.name)] = (int(on_cpu), int(waiting))
            out[int(entry.name)] = tasks
        except OSError:
            continue
    return out


class Sampler(threading.Thread):
    """Keeps, per kernel, the first and last time it was seen and the last schedstat of each of its threads."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.seen: dict[int, dict] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            for pid, tasks in _kernels().items():
                k = self.seen.setdefault(pid, {"first": now, "tasks": {}})
                k["last"] = now
                k["tasks"].update(tasks)
            time.sleep(0.1)


def measure(assignments: list[str] | None, jobs: int) -> dict:
    from autograder import course
    from autograder.grading import engine

    sampler = Sampler()
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        outcomes, _ = engine.grade_class_parallel(course.SAMPLES, course.Workspace(Path(tmp) / "ws"), assignments,
                                                  jobs=jobs, progress=False)
        wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    kernels = []
    for pid, k in sorted(sampler.seen.items(), key=lambda kv: kv[1]["first"]):
        main = k["tasks"].get(pid, (0, 0))
        others = [t for tid, t in k["tasks"].items() if tid != pid]
        life = k["last"] - k["first"]
        kernels.append({"life_s": round(life, 2), "main_cpu_s": round(main[0] / 1e9, 2),
                        "main_runqueue_s": round(main[1] / 1e9, 2),
                        "main_asleep_s": round(life - (main[0] + main[1]) / 1e9, 2),
                        "other_threads": len(others), "other_cpu_s": round(sum(t[0] for t in others) / 1e9, 2),
                        "other_runqueue_s": round(sum(t[1] for t in others) / 1e9, 2)})
    total = {key: round(sum(k[key] for k in kernels), 1) for key in
             ("life_s", "main_cpu_s", "main_runqueue_s", "main_asleep_s", "other_cpu_s", "other_runqueue_s")}
    per_notebook = {}
    for o in outcomes:
        if not o.timings:
            continue
        row = per_notebook.setdefault(o.assignment, {"gradings": 0, "wall_s": 0.0, "autograde_s": 0.0, "feedback_s": 0.0,
                                                     "worker_cpu_s": 0.0, "kernel_cpu_s": 0.0})
        row["gradings"] += 1
        row["wall_s"] += o.seconds
        for key in ("autograde_s", "feedback_s", "worker_cpu_s", "kernel_cpu_s"):
            row[key] += o.timings.get(key, 0.0)
    for row in per_notebook.values():  # means per grading
        for key in ("wall_s", "autograde_s", "feedback_s", "worker_cpu_s", "kernel_cpu_s"):
            row[key] = round(row[key] / row["gradings"], 2)
        row["wall_less_cpu_s"] = round(row["wall_s"] - row["worker_cpu_s"] - row["kernel_cpu_s"], 2)
    return {"jobs": jobs, "wall_s": round(wall, 1), "gradings": len(outcomes), "total": total,
            "per_notebook": per_notebook, "kernels": kernels}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assignment", nargs="*", help="notebooks to grade (default: every one)")
    ap.add_argument("--jobs", nargs="*", type=int, default=[1, 2])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    runs = [measure(args.assignment or None, jobs) for jobs in args.jobs]
    report = {"command": "python benchmarks/grading_waits.py " + " ".join(sys.argv[1:]),
              "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "assignments": args.assignment or "all", "runs": runs}
    for run in runs:
        print(f"--jobs {run['jobs']}: {run['gradings']} gradings in {run['wall_s']} s; kernels, summed: {run['total']}")
        for name, row in sorted(run["per_notebook"].items()):
            print(f"  {name}: {row}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
