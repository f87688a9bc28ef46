"""The grading worker: ``python -m autograder.grading.worker --serve`` grades one job file after another.

Its protocol: the parent (:class:`autograder.grading.grade.WorkerServer`) writes one job file's path per line on stdin;
the worker grades it, writes the job's log beside it and its verdict to the job's status file, and answers
``done`` on stdout. The parent waits for that answer under a wall-clock limit and kills the worker's whole
process group when the limit is hit, so a kernel that hangs, ignores SIGINT or forks cannot stall
the class. The job file and the status file live in the grading workspace, which the sandboxed kernel
cannot see; scores are read from the gradebook by the parent, never from anything printed here.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from .. import course


def configure(job: dict):
    """The nbgrader config for this job: the workspace's folders plus the sandbox policy."""
    ws = course.Workspace(Path(job["workspace"]))
    cfg = ws.config()
    cfg.SandboxedKernelManager.hidden_paths = job["hidden"]
    cfg.SandboxedKernelManager.readonly_paths = job["readonly"]
    cfg.SandboxedKernelManager.scratch_root = str(ws.root / ".scratch")
    cfg.SandboxedKernelManager.use_bwrap = job["use_bwrap"]
    cfg.SandboxedKernelManager.cpu_report = str(Path(job["status_file"]).with_suffix(".cpu"))
    return cfg


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the grading run that started it dies (even by SIGKILL), so
    that a restarted run never races an orphaned worker for the gradebook. The kernel, in turn, dies
    with the worker (bubblewrap's --die-with-parent)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_job(job_file: Path, log) -> None:
    """Autograde (and give feedback on) one job; nbgrader's log goes to ``log``, the verdict to the status file."""
    job = json.loads(Path(job_file).read_text())
    status = Path(job["status_file"])
    cpu_report = status.with_suffix(".cpu")  # each kernel's CPU seconds, written by SandboxedKernelManager
    cpu_report.unlink(missing_ok=True)
    started = time.time()  # wall clock, comparable with the cell timestamps nbclient writes into the notebook
    cpu = time.process_time()
    api = course.nbgrader_api(configure(job))
    result = api.autograde(job["assignment"], job["student"], force=True, create=True)
    autograded = time.time()
    log.write(result.get("log") or "")  # the job log, for the instructor
    report = {"autograde": bool(result["success"]), "error": result.get("error") or "", "feedback": None,
              "timings": {"started": started, "autograde_s": round(autograded - started, 3)}}
    if result["success"] and job["feedback"]:
        fb = api.generate_feedback(job["assignment"], job["student"], force=True)
        report["feedback"] = bool(fb["success"])
        report["error"] = fb.get("error") or ""
        report["timings"]["feedback_s"] = round(time.time() - autograded, 3)
    # CPU seconds: this worker's own (nbgrader's preprocessing and bookkeeping, feedback) and the kernel's
    report["timings"]["worker_cpu_s"] = round(time.process_time() - cpu, 3)
    kernels = cpu_report.read_text().split() if cpu_report.is_file() else []
    report["timings"]["kernel_cpu_s"] = round(sum(map(float, kernels)), 3)
    status.write_text(json.dumps(report))


def serve() -> int:
    """``--serve``: grade job after job, one JSON path per line on stdin, answering ``done`` on stdout.

    Concurrent grading keeps one such process per slot, so that nbgrader is imported once per slot instead
    of once per notebook; every notebook still runs in its own fresh, sandboxed kernel. The parent kills the
    whole process when a job runs past its time limit and starts a new one.
    """
    for line in sys.stdin:
        job_file = Path(line.strip())
        log_file = job_file.with_suffix(".log")
        with log_file.open("w") as log:
            try:
                run_job(job_file, log)
            except Exception:  # reported through the missing status file and this log
                import traceback

                log.write(traceback.format_exc())
        sys.stdout.write("done\n")
        sys.stdout.flush()
    return 0


def main(argv: list[str]) -> int:
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        return 1
    if argv != ["--serve"]:
        sys.stderr.write("usage: python -m autograder.grading.worker --serve  (job file paths on stdin, one per line)\n")
        return 2
    return serve()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
