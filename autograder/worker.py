"""Grade one submission in a child process: ``python -m autograder.worker JOB.json``.

The parent (:func:`autograder.grade.grade_submission`) runs this under a wall-clock limit and kills its
whole process group when the limit is hit, so a kernel that hangs, ignores SIGINT or forks cannot stall
the class. The job file and the status file live in the grading workspace, which the sandboxed kernel
cannot see; scores are read from the gradebook by the parent, never from anything printed here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import course


def configure(job: dict):
    """The nbgrader config for this job: the workspace's folders plus the sandbox policy."""
    ws = course.Workspace(Path(job["workspace"]))
    cfg = ws.config()
    cfg.SandboxedKernelManager.hidden_paths = job["hidden"]
    cfg.SandboxedKernelManager.readonly_paths = job["readonly"]
    cfg.SandboxedKernelManager.scratch_root = str(ws.root / ".scratch")
    cfg.SandboxedKernelManager.use_bwrap = job["use_bwrap"]
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


def main(argv: list[str]) -> int:
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        return 1
    job = json.loads(Path(argv[0]).read_text())
    status = Path(job["status_file"])
    api = course.nbgrader_api(configure(job))
    result = api.autograde(job["assignment"], job["student"], force=True, create=True)
    sys.stderr.write(result.get("log") or "")  # the job log, for the instructor
    report = {"autograde": bool(result["success"]), "error": result.get("error") or "", "feedback": None}
    if result["success"] and job["feedback"]:
        fb = api.generate_feedback(job["assignment"], job["student"], force=True)
        report["feedback"] = bool(fb["success"])
        report["error"] = fb.get("error") or ""
    status.write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
