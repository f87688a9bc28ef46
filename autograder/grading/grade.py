"""Grading one submission: the worker process that runs nbgrader in the sandbox, and its outcome; finding a class's
students (:func:`discover`).

:func:`grade_submission` never raises: a broken submission becomes an :class:`~autograder.grading.outcomes.Outcome` with
score 0 and a one-line reason. A re-grade first removes the earlier submission from the gradebook, so no stale
score survives. Whole classes are graded by :mod:`autograder.grading.engine`, which calls this once per submission.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .. import course, grader_settings
from . import gradebook, preflight, sandbox
from .outcomes import STATUS_ABSENT, STATUS_ERROR, STATUS_OK, STATUS_PROBLEM, Outcome, one_line


def _worker_env(threads: int | None) -> dict:
    env = dict(os.environ)
    if threads:  # concurrent gradings share the cores: cap each kernel's torch / BLAS threads
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    return env


class WorkerServer:
    """A long-lived ``python -m autograder.grading.worker --serve`` process that grades one job after another.

    Concurrent grading keeps one per slot so that the worker's imports (nbgrader, nbconvert, SQLAlchemy:
    a few seconds) are paid once per slot, not once per notebook. Each notebook still gets its own fresh
    sandboxed kernel. A job past its time limit, or a server that dies, costs only that job: the server is
    killed (its kernel dies with it) and the next job starts a new one.
    """

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.grading.worker", "--serve"], cwd=course.ROOT,
                                     env=_worker_env(self.threads), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True, text=True, bufsize=1)

    def run(self, job_file: Path, timeout: float) -> str:
        """Grade one job: ``"done"``, ``"timeout"`` (killed) or ``"died"``."""
        import select

        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            self.proc.stdin.write(f"{job_file}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return "died"
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            return "timeout"
        if self.proc.stdout.readline().strip() != "done":
            self.kill()
            return "died"
        return "done"

    def kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
                self.proc = None
            except Exception:
                self.kill()


def _run_worker(job: dict, timeout: float, server: WorkerServer) -> tuple[dict | None, str]:
    """Run ``job`` on ``server`` (which starts a worker process if it has none); returns (status dict or None, problem)."""
    jobs = Path(job["workspace"]) / ".jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    tag = f"{job['student']}--{job['assignment']}"
    job_file, status_file, log_file = jobs / f"{tag}.json", jobs / f"{tag}.status", jobs / f"{tag}.log"
    status_file.unlink(missing_ok=True)
    job["status_file"] = str(status_file)
    job_file.write_text(json.dumps(job))
    log_file.unlink(missing_ok=True)
    state = server.run(job_file, timeout)
    if state == "timeout":
        return None, f"time limit exceeded ({timeout:.0f} s for the whole notebook); killed"
    returncode = 0 if state == "done" else -9
    if not log_file.is_file():
        log_file.write_text("")
    if returncode != 0 or not status_file.is_file():
        tail = log_file.read_bytes()[-2000:].decode("utf-8", "replace")
        return None, f"grader process failed (exit {returncode}): {one_line(tail)}"
    status = json.loads(status_file.read_text())
    if not status["autograde"]:
        return None, _failure_reason(log_file.read_bytes()[-200_000:].decode("utf-8", "replace"), status["error"])
    return status, ""


def _failure_reason(log: str, error: str) -> str:
    """A one-line reason for a notebook nbgrader could not grade, read from the job's log."""
    if "CellTimeoutError" in log or "Timeout waiting for" in log:
        return "a cell ran past its time limit and did not stop when interrupted; notebook not graded"
    if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log.lower():
        return "the kernel died while running the notebook (crash, os._exit or out of memory); notebook not graded"
    lines = [ln.strip() for ln in log.splitlines() if "Error" in ln and not ln.strip().startswith("[ERROR]")]
    return "autograding failed: " + one_line(lines[-1] if lines else error)


def grade_submission(
    student: str, assignment: str, folder: Path, workspace: course.Workspace, feedback: bool = True,
    extra_hidden: tuple[Path, ...] = (), use_bwrap: bool | None = None, timeout: float | None = None,
    threads: int | None = None, server: WorkerServer | None = None,
) -> Outcome:
    """Autograde ``folder/<assignment>.ipynb`` (the student's submission for ``assignment``). Never raises.

    The notebook has passed preflight once already, where the job was made (:func:`autograder.grading.engine.make_jobs`:
    found, renamed copies accepted, parsed and validated); it is not checked again here. ``threads`` caps the CPU
    threads of the kernel (set when several gradings run at once)."""
    auto_max, manual_max = course.max_points(assignment)
    start = time.perf_counter()

    def done(status: str, reason: str, cells: dict[str, float] | None = None, timings: dict | None = None,
             late: float = 0.0) -> Outcome:
        cells = cells or {}
        return Outcome(student, assignment, max(0.0, float(sum(cells.values())) - late), auto_max, manual_max, status,
                       reason, round(time.perf_counter() - start, 2), cells, timings or {}, late)

    own_server = server is None  # one submission graded alone: a worker of its own, stopped at the end
    server = server or WorkerServer(threads)
    try:
        gradebook.forget_submission(workspace, assignment, student)
        notebook = folder / f"{assignment}.ipynb"
        if not notebook.is_file():
            return done(STATUS_ABSENT if not folder.is_dir() else STATUS_PROBLEM, f"missing notebook {notebook.name}")

        target = workspace.submitted / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target / f"{assignment}.ipynb")
        for name in preflight.SUBMISSION_METADATA:  # nbgrader reads them here
            if (folder / name).is_file():
                shutil.copyfile(folder / name, target / name)

        hidden, readonly = sandbox.paths_for(workspace, (folder.resolve().parent.parent, *extra_hidden))
        job = {"student": student, "assignment": assignment, "workspace": str(workspace.root), "feedback": feedback,
               "hidden": hidden, "readonly": readonly,
               "use_bwrap": sandbox.bwrap_works() if use_bwrap is None else use_bwrap, "threads": threads}
        limit = timeout or grader_settings.current().notebook_timeout_s
        status, problem = _run_worker(job, limit, server)
        if status is None and problem.startswith(("autograding failed", "grader process failed")):
            # an infrastructure failure of the long-lived worker (not a verdict on the notebook: kernel deaths
            # and time limits are reported as such): grade this notebook once more on a fresh worker process
            server.kill()
            status, problem = _run_worker(job, limit, server)
        if status is None:
            gradebook.forget_submission(workspace, assignment, student)
            return done(STATUS_ERROR, problem)
        cells, timings = gradebook.read_scores(workspace, assignment, student), status.get("timings")
        late = gradebook.read_late_penalty(workspace, assignment, student)
        note = f"late: {late:g} points taken by the course's late rule" if late else ""
        if feedback and not status.get("feedback"):
            return done(STATUS_OK, "; ".join(filter(None, ["graded, but feedback failed: "
                                                            + one_line(status.get("error") or ""), note])),
                        cells, timings, late)
        return done(STATUS_OK, note, cells, timings, late)
    except Exception as exc:  # the batch must go on whatever one submission does
        return done(STATUS_ERROR, f"internal error: {type(exc).__name__}: {one_line(str(exc) or traceback.format_exc())}")
    finally:
        if own_server:
            server.close()


def discover(submissions: Path, assignments: list[str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """(students, assignments to grade, problems) found in a submissions folder; ValueError for an unknown
    assignment id."""
    problems: list[str] = []
    students = []
    for entry in sorted(submissions.iterdir()):
        if not entry.is_dir():
            problems.append(f"ignored {entry.name!r}: not a student folder")
        elif not preflight.valid_student_id(entry.name):
            problems.append(f"ignored folder {entry.name!r}: not a valid student id")
        else:
            students.append(entry.name)
    known = course.assignments()
    if assignments:
        unknown = [a for a in assignments if a not in known]
        if unknown:
            raise ValueError(f"unknown assignment(s) {unknown}; known: {known}")
        wanted = assignments
    else:
        wanted = [a for a in known if any((submissions / s / a).exists() for s in students)]
    return students, wanted, problems


