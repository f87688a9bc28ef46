"""Grading a class concurrently, on this machine or on a Dask cluster.

nbgrader's ``autograde`` grades one submission after another, and its SQLite gradebook does not take
concurrent writers. So the work is split in two:

- **jobs** (:func:`grade_job`, run by Dask workers, concurrently): each grades one student's notebook for
  one assignment in a *private* throw-away workspace (its own copy of a gradebook in which the assignment
  is already registered), through the same sandboxed path as serial grading
  (:func:`autograder.grading.grade.grade_submission`), and returns everything it produced as plain data: the
  outcome, the gradebook rows of the submission, and the autograded notebook and feedback files;
- **the coordinator** (:func:`grade_class_parallel`, this process) is the only writer of the real
  workspace: it merges each result into the one gradebook and the ``autograded/`` and ``feedback/``
  folders as it arrives.

A job touches nothing shared, so a job that dies halfway (a worker killed, a machine lost) leaves no trace;
Dask's scheduler reruns it on another worker, and the coordinator merges whichever run finishes. A job
that keeps killing its workers is given up after Dask's ``allowed-failures`` and reported as an error,
scored 0, while the rest of the class is graded.

The default engine is an in-process local cluster (threads that each wait on a sandboxed grading process);
``scheduler="tcp://host:8786"`` sends the jobs to an existing Dask cluster (dask-jobqueue on SLURM, the Dask
Kubernetes operator, ``dask scheduler`` + ``dask worker`` by hand), whose workers need this repository and
its environment at the same path, the data root, and the sandbox tools; the submissions travel with the jobs.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import course, grader_settings
from . import grade, gradebook, preflight, sandbox

from .outcomes import Outcome, STATUS_ABSENT, STATUS_ERROR, STATUS_OK, STATUS_PROBLEM, one_line, record_outcome


class SandboxExposed(RuntimeError):
    """Grading refused: without bubblewrap, student code could read a path the sandbox must hide."""


@dataclass
class GradeJob:
    """One (student, assignment) to grade; the notebook travels as bytes so workers need no shared folder."""

    student: str
    assignment: str
    notebook: bytes | None  # None: nothing usable submitted (see reason)
    reason: str  # preflight's note (which file was taken, or why there is none)
    absent: bool = False
    feedback: bool = True
    timeout: float | None = None
    threads: int = 1  # CPU threads for the kernel (torch, BLAS) so that concurrent jobs do not oversubscribe
    hidden: tuple[str, ...] = ()  # more paths the kernel must not see: the real workspace and submissions
    metadata: dict[str, bytes] = field(default_factory=dict)  # nbgrader's files beside the notebook (timestamp.txt)


@dataclass
class JobResult:
    """What one job produced, as plain data for the coordinator to merge."""

    outcome: Outcome
    rows: dict | None = None  # the submission's gradebook rows; None when nothing was graded
    files: dict[str, bytes] = field(default_factory=dict)  # "autograded/..." / "feedback/..." / "submitted/..." -> bytes
    worker: str = ""


def _collect(ws: course.Workspace, student: str, assignment: str) -> dict[str, bytes]:
    files = {}
    for kind, base in (("submitted", ws.submitted), ("autograded", ws.autograded), ("feedback", ws.feedback)):
        folder = base / student / assignment
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file():
                    files[f"{kind}/{student}/{assignment}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return files


_local = threading.local()
_servers: list[grade.WorkerServer] = []
_servers_lock = threading.Lock()


def _server(threads: int) -> grade.WorkerServer:
    """This thread's grading server (one per concurrent slot, started on first use)."""
    server = getattr(_local, "server", None)
    if server is None or server.threads != threads:
        server = grade.WorkerServer(threads)
        _local.server = server
        with _servers_lock:
            _servers.append(server)
    return server


def close_servers() -> int:
    """Stop every grading server of this process (run on each worker at the end of a grading run)."""
    with _servers_lock:
        servers, _servers[:] = list(_servers), []
    for server in servers:
        server.close()
    _local.__dict__.clear()
    return len(servers)


def grade_job(job: GradeJob, seed: bytes, use_bwrap: bool | None = None) -> JobResult:
    """Grade one job in a private workspace (runs on a Dask worker). Never raises for a bad submission."""
    import socket

    worker = f"{socket.gethostname()}:{os.getpid()}"
    auto_max, manual_max = course.max_points(job.assignment)
    if job.notebook is None:
        status = STATUS_ABSENT if job.absent else STATUS_PROBLEM
        return JobResult(Outcome(job.student, job.assignment, 0.0, auto_max, manual_max, status, job.reason),
                         worker=worker)
    with tempfile.TemporaryDirectory(prefix=f"job-{job.student}-{job.assignment}-") as tmp:
        ws = course.Workspace(Path(tmp) / "workspace")
        ws.create()
        ws.gradebook.write_bytes(seed)
        folder = Path(tmp) / "submissions" / job.student / job.assignment
        folder.mkdir(parents=True)
        (folder / f"{job.assignment}.ipynb").write_bytes(job.notebook)
        for name, data in job.metadata.items():
            (folder / name).write_bytes(data)
        outcome = grade.grade_submission(job.student, job.assignment, folder, ws, job.feedback,
                                         extra_hidden=tuple(Path(p) for p in job.hidden), use_bwrap=use_bwrap,
                                         timeout=job.timeout, threads=job.threads, server=_server(job.threads))
        if outcome.status == STATUS_OK and job.reason and not outcome.reason:
            outcome.reason = job.reason
        rows = gradebook.export_rows(ws.gradebook, job.assignment, job.student) if outcome.status == STATUS_OK else None
        files = _collect(ws, job.student, job.assignment) if rows is not None else {}
        return JobResult(outcome, rows, files, worker)


def make_jobs(submissions: Path, students: list[str], assignments: list[str], feedback: bool,
              timeout: float | None, threads: int, hidden: tuple[str, ...] = ()) -> list[GradeJob]:
    """Read every submission once, here, with the same preflight checks as serial grading."""
    jobs = []
    for assignment in assignments:
        for student in students:
            folder = submissions / student / assignment
            found = preflight.find_notebook(folder, assignment)
            if found.notebook is None:
                jobs.append(GradeJob(student, assignment, None, found.reason, absent=not folder.is_dir()))
                continue
            problem = preflight.check_notebook(found.notebook) or preflight.check_assignment(found.notebook, assignment)
            if problem:
                jobs.append(GradeJob(student, assignment, None, problem))
                continue
            metadata = {name: (folder / name).read_bytes() for name in preflight.SUBMISSION_METADATA if (folder / name).is_file()}
            jobs.append(GradeJob(student, assignment, found.notebook.read_bytes(), found.reason,
                                 feedback=feedback, timeout=timeout, threads=threads, hidden=hidden, metadata=metadata))
    return jobs


def _merge(result: JobResult, workspace: course.Workspace, in_place: bool = False) -> None:
    """Put one job's result into the real workspace (the coordinator is its only writer). ``in_place``: the class
    was graded from the workspace's own ``submitted/`` folder (an nbgrader course after ``collect``), whose files
    are the originals and are left as they are."""
    o = result.outcome
    gradebook.forget_submission(workspace, o.assignment, o.student, keep_submitted=in_place)
    record_outcome(workspace, o)
    if result.rows is None:
        return
    for rel, data in result.files.items():
        if in_place and rel.startswith("submitted/"):
            continue
        target = workspace.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    gradebook.import_rows(workspace.gradebook, o.assignment, o.student, result.rows)


def _client(jobs: int, scheduler: str | None, processes: bool):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=jobs if processes else 1, threads_per_worker=1 if processes else jobs,
                           processes=processes, dashboard_address=None)
    return Client(cluster), cluster


def grade_class_parallel(
    submissions: Path,
    workspace: course.Workspace | None = None,
    assignments: list[str] | None = None,
    feedback: bool = True,
    jobs: int | None = None,
    scheduler: str | None = None,
    processes: bool = False,
    progress: bool = True,
    timeout: float | None = None,
    on_submitted=None,
    hidden: tuple[str, ...] = (),
) -> tuple[list[Outcome], list[str]]:
    """Grade every student folder in ``submissions`` concurrently; same results as :func:`grade_class`.

    ``jobs`` concurrent gradings (default: one per CPU core) on an in-process cluster, or on a local cluster of
    ``jobs`` worker processes with ``processes=True``, or on the Dask cluster at ``scheduler``.
    ``on_submitted(client, futures)`` is a hook for tests (to kill a worker while jobs run). ``hidden``: more
    folders the kernels must not see (Gradescope's results folder).
    """
    from dask.distributed import as_completed

    workspace = workspace or grader_settings.workspace()
    workspace.create()
    students, wanted, notes = grade.discover(submissions, assignments)
    cores = os.cpu_count() or 1
    jobs = max(1, jobs or cores)
    use_bwrap = sandbox.bwrap_works()
    notes.insert(0, sandbox.describe(use_bwrap, grader_settings.kernel_limits(), grader_settings.current()))
    hidden_paths = (str(workspace.root.resolve()), str(submissions.resolve()), *hidden)
    if not use_bwrap and not scheduler:
        readable = sandbox.exposed([Path(p) for p in sandbox.paths_for(workspace, tuple(map(Path, hidden_paths)))[0]])
        if readable and not grader_settings.current().grade_exposed:
            raise SandboxExposed("bubblewrap cannot run here and student code would be able to read "
                                 + "; ".join(readable) + ": make these paths unreadable to other users "
                                 "(chmod o-rwx), install bubblewrap where it can create namespaces, or set "
                                 "COURSE_GRADE_EXPOSED=1 to grade anyway (never for feedback students see)")
        if readable:
            notes.insert(1, "WARNING: graded with COURSE_GRADE_EXPOSED=1; student code could read " + "; ".join(readable))
    # One seed gradebook with every assignment registered (source cells, hidden tests); each job grades in a
    # private copy of it. A new workspace starts from a copy too; an existing one registers them itself.
    seed = gradebook.with_due_dates(gradebook.seed(wanted), workspace.gradebook, wanted)
    in_place = submissions.resolve() == workspace.submitted.resolve()
    if not workspace.gradebook.exists():
        workspace.gradebook.write_bytes(seed)
    else:
        with tempfile.TemporaryDirectory(prefix="grade-release-") as tmp:
            for assignment in wanted:
                course.generate(assignment, workspace, Path(tmp))
    # a job's kernel sees neither the real gradebook and folders nor the other students' submissions
    todo = make_jobs(submissions, students, wanted, feedback, timeout, threads=max(1, cores // jobs),
                     hidden=hidden_paths)

    client, cluster = _client(jobs, scheduler, processes)
    graded: list[Outcome] = []
    start = time.perf_counter()
    try:
        engine = f"Dask scheduler {scheduler}" if scheduler else (
            f"local Dask cluster, {jobs} worker processes" if processes else f"in-process Dask cluster, {jobs} threads")
        notes.insert(1, f"engine: {engine}")
        seed_future = client.scatter(seed, broadcast=True)
        futures = {client.submit(grade_job, job, seed_future, use_bwrap if not scheduler else None,
                                 key=f"grade-{job.assignment}-{job.student}-{os.urandom(4).hex()}", pure=False): job
                   for job in todo}
        if on_submitted is not None:
            on_submitted(client, list(futures))
        bar = _progress(len(futures), progress)
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # KilledWorker after repeated worker deaths, or an internal error
                auto_max, manual_max = course.max_points(job.assignment)
                result = JobResult(Outcome(job.student, job.assignment, 0.0, auto_max, manual_max, STATUS_ERROR,
                                                 f"grading job failed on the cluster: {type(exc).__name__}: {one_line(str(exc))}"))
            _merge(result, workspace, in_place)
            graded.append(result.outcome)
            bar.update(result.outcome)
        bar.close()
    finally:
        try:
            client.run(close_servers)
        except Exception:  # workers already gone: their servers died with them
            pass
        client.close()
        if cluster is not None:
            cluster.close()
    order = {(s, a): i for i, (a, s) in enumerate((a, s) for a in wanted for s in students)}
    graded.sort(key=lambda o: order[(o.student, o.assignment)])
    failed = [o for o in graded if o.status in (STATUS_ERROR, STATUS_PROBLEM)]
    notes.append(f"{len(graded)} gradings in {time.perf_counter() - start:.0f} s; "
                 f"{len(failed)} not graded normally" + (": " + ", ".join(f"{o.student}/{o.assignment}" for o in failed) if failed else ""))
    return graded, notes


class _progress:
    """A tqdm bar over finished gradings (with an ETA), or nothing."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="grading", unit="nb", dynamic_ncols=True)

    def update(self, outcome: Outcome) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{outcome.student}/{outcome.assignment} {outcome.score:g}/{outcome.max_score:g} {outcome.status}")
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_class(
    submissions: Path,
    workspace: course.Workspace | None = None,
    assignments: list[str] | None = None,
    feedback: bool = True,
    progress: bool = True,
    timeout: float | None = None,
) -> tuple[list[Outcome], list[str]]:
    """Grade every student folder in ``submissions`` one after another; returns the outcomes and batch notes.

    Serial grading is the concurrent path with one slot (:func:`grade_class_parallel`,
    ``jobs=1``): one job model (each submission graded in a private workspace and returned as data) and one
    writer of the gradebook (the merge), whatever the number of slots."""
    return grade_class_parallel(submissions, workspace, assignments, feedback=feedback, jobs=1,
                                         progress=progress, timeout=timeout)
