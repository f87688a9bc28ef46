"""The distributed grading path, for real: a Dask scheduler and two workers as separate processes, one killed midway.

    python benchmarks/grading_distributed.py [--assignment ID ...] [--out FILE]

What it does, on this machine:

1. starts ``dask scheduler`` on 127.0.0.1 and two ``dask worker`` processes, each in its own working folder
   (``--local-directory``) with one slot, as two hosts would (separate processes on loopback: the network
   namespaces joined by veth that a closer imitation of two hosts needs are not set up here);
2. grades the bundled sample class with ``python -m autograder grade --scheduler tcp://...`` into a fresh
   workspace;
3. as soon as the first grading has been merged (a line in the workspace's ledger), kills worker 1 and its
   children with SIGKILL, while it is grading;
4. checks the outcome: every (student, assignment) graded exactly once in the gradebook, each with the
   score ``autograder/samples/expected_scores.json`` expects, the ledger holding one line per submission,
   and no job left behind.

The report (Markdown) goes to ``--out`` (default ``benchmarks/results/grading-distributed-<date>.md``). Exit status 0
when every check holds. Not part of CI: it grades the whole sample class (several minutes on two cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "autograder" / "samples" / "submissions"
EXPECTED = json.loads((ROOT / "autograder" / "samples" / "expected_scores.json").read_text())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds:.0f} s")


def _wait_for_workers(address: str, n: int, seconds: float = 120) -> None:
    from dask.distributed import Client

    with Client(address, timeout=seconds) as client:
        client.wait_for_workers(n, timeout=seconds)


def _start(cmd: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=cwd, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def _gradebook_counts(gradebook: Path) -> dict[tuple[str, str], int]:
    """(student, assignment) -> number of submissions in nbgrader's SQLite gradebook."""
    con = sqlite3.connect(gradebook)
    try:
        rows = con.execute("SELECT student.id, assignment.name FROM submitted_assignment "
                           "JOIN student ON student.id = submitted_assignment.student_id "
                           "JOIN assignment ON assignment.id = submitted_assignment.assignment_id").fetchall()
    finally:
        con.close()
    counts: dict[tuple[str, str], int] = {}
    for key in rows:
        counts[key] = counts.get(key, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")
    parser.add_argument("--out", help="report file (Markdown)")
    args = parser.parse_args(argv)
    from autograder import classbook, course
    from autograder.grading.outcomes import STATUS_ABSENT, STATUS_OK, read_ledger

    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"grading-distributed-{dt.date.today()}.md"
    tmp = Path(tempfile.mkdtemp(prefix="course-kit-distributed-"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    python = sys.executable
    procs: dict[str, subprocess.Popen] = {}
    lines = [f"# Distributed grading: a Dask scheduler and two workers, one killed midway ({dt.date.today()})", "",
             f"Command: `python benchmarks/grading_distributed.py{''.join(' --assignment ' + a for a in args.assignment or [])}`",
             f"Machine: {os.cpu_count()} CPU cores; scheduler and workers as separate processes on 127.0.0.1, "
             "each worker with its own working folder and one slot.", ""]
    ok = True
    try:
        procs["scheduler"] = _start([python, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                     "--port", str(port), "--no-dashboard"], tmp, tmp / "scheduler.log")
        _wait_for_port(port)
        for name in ("worker-1", "worker-2"):
            folder = tmp / name
            folder.mkdir()
            procs[name] = _start([python, "-m", "distributed.cli.dask_worker", address, "--name", name,
                                  "--nworkers", "1", "--nthreads", "1", "--local-directory", str(folder),
                                  "--no-dashboard"], folder, tmp / f"{name}.log")
        _wait_for_workers(address, 2)
        ws = course.Workspace(tmp / "workspace")
        cmd = [python, "-m", "autograder", "grade", str(SAMPLES), "--workspace", str(ws.root), "--no-feedback",
               "--scheduler", address]
        for a in args.assignment or []:
            cmd += ["--assignment", a]
        start = time.perf_counter()
        grading = subprocess.Popen(cmd, cwd=ROOT, stdout=(tmp / "grade.log").open("w"), stderr=subprocess.STDOUT)
        killed_at = None
        while grading.poll() is None:
            if killed_at is None and ws.root.joinpath("outcomes.jsonl").is_file() and \
                    ws.root.joinpath("outcomes.jsonl").read_text().strip():
                os.killpg(procs["worker-1"].pid, signal.SIGKILL)
                killed_at = time.perf_counter() - start
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        lines += [f"Grading: `{' '.join(Path(c).name if c.startswith('/') else c for c in cmd)}` took {seconds:.0f} s, "
                  f"exit status {grading.returncode}.",
                  f"Worker 1 killed (SIGKILL, with its children) {killed_at:.1f} s in, after the first merged grading."
                  if killed_at is not None else "Worker 1 was never killed: no grading was merged while it ran.", ""]
        ok &= grading.returncode == 0 and killed_at is not None

        counts = _gradebook_counts(ws.gradebook)
        ledger = read_ledger(ws)
        ledger_lines = len(ws.root.joinpath("outcomes.jsonl").read_text().splitlines())
        wanted = args.assignment or course.assignments()
        lines += ["| student | assignment | submissions in the gradebook | autograded score | expected (none: absent) | check |",
                  "|---|---|---|---|---|---|"]
        for assignment in wanted:
            for sub in classbook.submissions(ws, assignment):
                expected = EXPECTED.get(sub.student, {}).get(assignment)  # None: the sample has no such notebook
                n = counts.get((sub.student, assignment), 0)
                if expected is None:  # absent: in the ledger as absent, not in the gradebook, scored 0
                    good = n == 0 and sub.status == STATUS_ABSENT and sub.auto_score == 0
                else:
                    good = n == 1 and sub.status == STATUS_OK and abs(sub.auto_score - expected) < 1e-9
                ok &= good
                lines.append(f"| {sub.student} | {assignment} | {n} | {sub.auto_score:g} | {expected} | "
                             f"{'ok' if good else 'WRONG'} |")
        students = [s for s in EXPECTED if s != "_comment"]
        n_subs = sum(1 for a in wanted for s in students if a in EXPECTED[s])
        n_pairs = len(wanted) * len(students)
        lines += ["", f"Ledger: {ledger_lines} lines for {len(ledger)} (student, assignment) pairs; expected one line "
                      f"for each of the {n_pairs} pairs ({n_subs} submitted, {n_pairs - n_subs} absent).",
                  f"Left-over job folders: {sorted(p.name for p in (ws.root / '.jobs').glob('*')) if (ws.root / '.jobs').exists() else 'none'}."]
        ok &= len(ledger) == ledger_lines == n_pairs and not (ws.root / ".jobs").exists()
        log = (tmp / "grade.log").read_text().splitlines()
        lines += ["", "The grading command's last lines:", "", "```", *log[-12:], "```", "",
                  f"**Result: {'every check holds' if ok else 'a check FAILED'}.**", ""]
    finally:
        for proc in procs.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"report: {out}; logs: {tmp}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
