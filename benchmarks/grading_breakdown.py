"""Benchmark: where the time of one grading goes, and this kit against plain nbclient on the same notebook.

    python benchmarks/grading_breakdown.py [--assignment ID ...] [--student alice] [--out DIR]

For each notebook (default: every released one) it takes the sample submission of ``--student`` (alice: correct
answers written another way) and, one at a time, on this machine:

1. **this kit, one slot**: :func:`autograder.grading.engine.grade_job` on a warm worker server (the serial path of a
   class run: ``--jobs 1``, two CPU threads for the kernel), with feedback. The submission is graded twice and
   the second grading is measured, so the worker server's own start (nbgrader's imports, paid once per slot in a
   class run) is not counted. Wall time, and CPU seconds of the worker server and its sandboxed kernel (sampled
   from ``/proc`` while they run: see :class:`TreeCpu`), plus this process's share (private workspace, gradebook rows);
2. **plain nbclient**: the notebook the kit just autograded (the student's cells with the hidden tests put back),
   outputs cleared, executed by ``nbclient`` in a plain ``python3`` kernel, no sandbox and no nbgrader, in a fresh
   process, with the same environment (``NBGRADER_EXECUTION``, hence the fast profile, and two threads). Wall
   and CPU seconds of that process and its kernel.

The kit's wall time is split with the worker's timestamps and the cell timings nbclient records in the
autograded notebook:

- *before the first cell*: nbgrader's preprocessing, the sandbox, the kernel's start;
- *first cell*: the notebook's imports (torch, torchvision, matplotlib, course_utils);
- *other cells*: the student's cells and the tests; *between cells*: the messages around them;
- *after the last cell*: nbgrader's bookkeeping (scores into the gradebook, the autograded notebook written);
- *feedback*: the HTML feedback; *outside the worker*: the job's private workspace, preflight, the gradebook
  rows exported and the files collected.

Three small measurements put the first part into pieces: ``python -c pass`` inside the sandbox against outside,
a plain kernel's start up to its ``kernel_info`` reply, and the CPU cost of the imports of the first cell.
The report goes to ``benchmarks/results/grading-breakdown-<date>.md`` and ``.json``. It is a benchmark, not a
test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course  # noqa: E402
from autograder.grading import engine, gradebook, sandbox  # noqa: E402

from autograder.grading.outcomes import STATUS_OK  # noqa: E402

THREADS = 2  # one slot on two cores: the kernel gets both (parallel: threads = cores // jobs)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class TreeCpu:
    """CPU seconds used by a process and all its descendants while this is open, sampled every 0.05 s.

    The kernel runs inside bubblewrap's PID namespace, whose processes are reaped there: their CPU time never
    reaches the worker's ``cutime``, so waiting on children (``RUSAGE_CHILDREN``) does not see it. Each
    process's own user + system time is read while it lives; a process loses at most its last 0.05 s.
    """

    def __init__(self, pid: int):
        import psutil

        self.psutil, self.root = psutil, psutil.Process(pid)
        self.seen: dict[tuple[int, float], float] = {}
        self.base = self._sample(record=False)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _sample(self, record: bool = True) -> dict[tuple[int, float], float]:
        now = {}
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except self.psutil.NoSuchProcess:  # the root has exited: what it used was read while it lived
            return now
        for proc in procs:
            try:
                t = proc.cpu_times()
                now[(proc.pid, proc.create_time())] = t.user + t.system
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                pass
        if record:
            self.seen.update(now)
        return now

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def stop(self) -> float:
        self._stop.set()
        self.thread.join()
        self._sample()
        return sum(v - self.base.get(k, 0.0) for k, v in self.seen.items())


def _stamp(value: str) -> float:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def kit_grading(assignment: str, notebook: bytes, seed: bytes, use_bwrap: bool) -> dict:
    """Grade ``notebook`` twice on one warm worker server; measure the second grading."""
    job = engine.GradeJob("student", assignment, notebook, "", feedback=True, threads=THREADS)
    engine.grade_job(job, seed, use_bwrap)  # warms the worker server (nbgrader's imports) and the page cache
    server = engine._server(THREADS)
    tree, own_cpu, start = TreeCpu(server.proc.pid), time.process_time(), time.perf_counter()
    result = engine.grade_job(job, seed, use_bwrap)
    wall = time.perf_counter() - start
    cpu = tree.stop() + time.process_time() - own_cpu
    engine.close_servers()
    o = result.outcome
    if o.status != STATUS_OK:
        raise SystemExit(f"{assignment}: the kit did not grade the sample: {o.status} {o.reason}")
    autograded = result.files[f"autograded/student/{assignment}/{assignment}.ipynb"]
    nb = json.loads(autograded)
    spans = [(_stamp(c["metadata"]["execution"]["iopub.execute_input"]), _stamp(c["metadata"]["execution"]["shell.execute_reply"]))
             for c in nb["cells"] if c["cell_type"] == "code" and "execution" in c["metadata"]]
    t = o.timings
    first_in, last_out = spans[0][0], spans[-1][1]
    cells = [b - a for a, b in spans]
    parts = {
        "before the first cell": first_in - t["started"],
        "first cell (imports)": cells[0],
        "other cells": sum(cells[1:]),
        "between cells": (last_out - first_in) - sum(cells),
        "after the last cell": t["started"] + t["autograde_s"] - last_out,
        "feedback": t.get("feedback_s", 0.0),
        "outside the worker": wall - t["autograde_s"] - t.get("feedback_s", 0.0),
    }
    return {"wall_s": wall, "cpu_s": cpu, "score": o.score, "max_score": o.max_score, "cells": len(spans),
            "parts_s": parts, "autograded": autograded}


NBCLIENT = """\
import json, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.reads(sys.stdin.read(), as_version=4)
for cell in nb.cells:
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True, resources={"metadata": {"path": sys.argv[1]}}).execute()
"""


def plain_nbclient(autograded: bytes, env: dict) -> dict:
    """Execute the autograded notebook with plain nbclient in a fresh process (no sandbox, no nbgrader)."""
    with tempfile.TemporaryDirectory(prefix="nbclient-") as scratch:
        env = dict(env, HOME=scratch, COURSE_CACHE_DIR=str(Path(scratch) / ".cache"),
                   COURSE_RESULTS_DIR=str(Path(scratch) / "results"), COURSE_CHECKPOINTS="0")
        cpu, start = _children_cpu(), time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", NBCLIENT, scratch], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=scratch)
        tree = TreeCpu(proc.pid)
        _, err = proc.communicate(autograded.decode())
        wall, sampled = time.perf_counter() - start, tree.stop()
        if proc.returncode != 0:
            raise SystemExit(f"nbclient failed: {err[-2000:]}")
        # here the kernel is an ordinary child, so the exact figure (waited-for children) is available too
        return {"wall_s": wall, "cpu_s": _children_cpu() - cpu, "cpu_sampled_s": sampled}


def _timed(cmd: list[str], env: dict | None = None, repeats: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds of running ``cmd``."""
    walls, cpus = [], []
    for _ in range(repeats):
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def pieces(env: dict, use_bwrap: bool) -> dict:
    """Sandbox start, kernel start and the imports, measured on their own."""
    out = {}
    out["python -c pass"] = _timed([sys.executable, "-c", "pass"], env)
    with tempfile.TemporaryDirectory(prefix="sandbox-") as tmp:
        scratch, sockets = Path(tmp) / "scratch", Path(tmp) / "sockets"
        scratch.mkdir()
        sockets.mkdir()
        os.chmod(tmp, 0o755)
        uid = sandbox.claim_uid() if sandbox.drops_privileges() else None
        for path in (scratch, sockets):
            if uid is not None:
                os.chown(path, uid.uid, uid.uid)
        hidden, readonly = sandbox.paths_for(course.Workspace(Path(tmp) / "workspace"))
        policy = sandbox.Policy(hidden=[Path(p) for p in hidden], readonly=[Path(p) for p in readonly])
        cmd = sandbox.wrap([sys.executable, "-c", "pass"], scratch, sockets, policy, use_bwrap,
                           uid=uid.uid if uid else sandbox.NOBODY)
        out["python -c pass, in the sandbox"] = _timed(cmd, env)
        if uid is not None:
            uid.release()
    imports = "import torch, torchvision, matplotlib.pyplot, course_utils.training, course_utils.metrics"
    out["imports of a first cell"] = _timed([sys.executable, "-c", imports], env, repeats=3)
    kernel = ("import jupyter_client, time; t = time.perf_counter(); km, kc = jupyter_client.manager.start_new_kernel("
              "kernel_name='python3'); kc.stop_channels(); km.shutdown_kernel(now=True)")
    out["a plain kernel started to kernel_info, and stopped"] = _timed([sys.executable, "-c", kernel], env, repeats=3)
    result = {k: {"wall_s": w, "cpu_s": c} for k, (w, c) in out.items()}
    result["python -c pass, in the sandbox"]["cpu_s"] = None  # reaped inside the sandbox: not seen from here
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignment", nargs="*", help="only these notebooks (default: every released one)")
    ap.add_argument("--student", default="alice", help="which sample submission (autograder/samples/submissions)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    assignments = args.assignment or course.assignments()
    use_bwrap = sandbox.bwrap_works()
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", OMP_NUM_THREADS=str(THREADS),
               MKL_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS), PYTHONPATH=str(ROOT))
    seed = gradebook.seed(assignments)
    rows = {}
    for a in assignments:
        notebook = (course.SAMPLES / args.student / a / f"{a}.ipynb").read_bytes()
        k = kit_grading(a, notebook, seed, use_bwrap)
        n = plain_nbclient(k.pop("autograded"), env)
        rows[a] = {"kit": k, "nbclient": n}
        print(f"{a}: kit {k['wall_s']:.1f} s ({k['cpu_s']:.1f} s CPU), nbclient {n['wall_s']:.1f} s ({n['cpu_s']:.1f} s CPU), "
              f"ratio {k['wall_s'] / n['wall_s']:.2f}; " + ", ".join(f"{p} {s:.2f}" for p, s in k["parts_s"].items()), flush=True)
    alone = pieces(env, use_bwrap)
    write(Path(args.out), rows, alone, use_bwrap, args.student)
    return 0


def write(out: Path, rows: dict, alone: dict, use_bwrap: bool, student: str) -> None:
    import torch

    stamp = dt.date.today().isoformat()
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpu cores, {cpu}; torch {torch.__version__}"
    command = "python benchmarks/grading_breakdown.py" + (f" --student {student}" if student != "alice" else "")
    total = lambda side, key: sum(r[side][key] for r in rows.values())  # noqa: E731
    parts = list(next(iter(rows.values()))["kit"]["parts_s"])
    lines = [f"# One grading, taken apart: {stamp}", "", f"machine: {machine}", f"command: {command}",
             f"sandbox: {sandbox.describe(use_bwrap)}",
             f"submission: the sample `{student}` of each notebook; the kit graded it with one slot (two kernel threads) "
             "on a warm worker server, with feedback; nbclient executed the notebook the kit autograded, in a plain kernel "
             "with the same environment (fast profile, two threads)", "",
             "## The kit against plain nbclient, per notebook", "",
             "| notebook | cells | score | kit wall | kit CPU | nbclient wall | nbclient CPU | wall ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for a, r in rows.items():
        k, n = r["kit"], r["nbclient"]
        lines.append(f"| {a} | {k['cells']} | {k['score']:g}/{k['max_score']:g} | {k['wall_s']:.1f} s | {k['cpu_s']:.1f} s | "
                     f"{n['wall_s']:.1f} s | {n['cpu_s']:.1f} s | {k['wall_s'] / n['wall_s']:.2f}x |")
    lines.append(f"| **all** | | | **{total('kit', 'wall_s'):.1f} s** | **{total('kit', 'cpu_s'):.1f} s** | "
                 f"**{total('nbclient', 'wall_s'):.1f} s** | **{total('nbclient', 'cpu_s'):.1f} s** | "
                 f"**{total('kit', 'wall_s') / total('nbclient', 'wall_s'):.2f}x** |")
    lines += ["", f"The kit's CPU is sampled from `/proc` (its kernel's time does not reach the waited-for children's); "
              f"sampled the same way, plain nbclient's CPU is {total('nbclient', 'cpu_sampled_s'):.1f} s against the exact "
              f"{total('nbclient', 'cpu_s'):.1f} s of its waited-for children, so the sampling loses little.",
              "", "## Where the kit's wall time goes (seconds)", "",
              "| notebook | " + " | ".join(parts) + " |", "|---|" + "---|" * len(parts)]
    for a, r in rows.items():
        lines.append(f"| {a} | " + " | ".join(f"{r['kit']['parts_s'][p]:.2f}" for p in parts) + " |")
    sums = {p: sum(r["kit"]["parts_s"][p] for r in rows.values()) for p in parts}
    all_wall = total("kit", "wall_s")
    lines.append("| **all** | " + " | ".join(f"**{sums[p]:.1f}** ({100 * sums[p] / all_wall:.0f} %)" for p in parts) + " |")
    lines += ["", "## Pieces measured on their own (median of 3-5 runs)", "", "| what | wall | CPU |", "|---|---|---|"]
    lines += [f"| {what} | {v['wall_s']:.2f} s | " + (f"{v['cpu_s']:.2f} s |" if v["cpu_s"] is not None else
                                                       "- (reaped inside the sandbox, not visible here) |")
              for what, v in alone.items()]
    out.mkdir(parents=True, exist_ok=True)
    (out / f"grading-breakdown-{stamp}.md").write_text("\n".join(lines) + "\n")
    (out / f"grading-breakdown-{stamp}.json").write_text(json.dumps(
        {"machine": machine, "command": command, "notebooks": rows, "pieces": alone}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
