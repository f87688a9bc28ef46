"""Sandboxing the kernels that run student code.

Student code is untrusted. Each grading kernel is started inside Debian's **bubblewrap** (``bwrap``):

- a read-only view of the file system, with the course's secrets hidden behind empty tmpfs mounts:
  ``solutions/``, ``autograder/`` (gradebook, submissions, graded notebooks, samples), ``.git``, the grading
  workspace, the class's submissions folder and Jupyter's runtime folder (other kernels' connection files);
- a private, empty scratch folder as working directory and home, the only writable place besides a
  private ``/tmp``; the data root stays readable;
- no network (its own empty network namespace), its own PID, IPC and UTS namespaces, no controlling
  terminal (jupyter_client starts kernels in a new session), killed with its parent;
- a minimal environment (no inherited tokens), and when the grader runs as root the kernel runs as a
  user id of its own (:func:`claim_uid`), so that the process limit applies to it alone;
- resource limits (``prlimit``): address space, processes, file size, open files, CPU seconds.

Where bubblewrap is missing or cannot create namespaces (a container without CAP_SYS_ADMIN, Docker's default:
"Creating new namespace failed: Operation not permitted") the grader falls back to the resource limits and the
unprivileged uid only: no network isolation, and the file system is protected by its owners and modes alone.
Grading then starts only if no hidden path is readable by the kernel's uid (:func:`exposed`, checked as that uid
would see it: modes of the path, of what is under it and of its parents); the kernel gets a scratch folder of its
own under ``/tmp``. The grade report says which protection was in force. The kernel talks to the grader over unix sockets (ZeroMQ's ``ipc``
transport) in a folder bound into the sandbox, since it has no network at all.
"""

from __future__ import annotations

import fcntl
import importlib.machinery
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import course

NOBODY = 65534
# Kernels run as uids from this range, one each (no /etc/passwd entry needed; none is a system user's).
# RLIMIT_NPROC counts the processes of a uid machine-wide: with one shared uid (nobody, before 2026-12-02)
# a fork bomb's children used up the limit of the kernel graded beside it, which then died at start-up
# (it could not create its threads), at random depending on which submissions were graded together.
UID_POOL = range(61000, 62000)
UID_LOCKS = Path(tempfile.gettempdir()) / "course-kit-kernel-uids"

# Environment variables passed into the sandbox; everything else is dropped.
ENV_WHITELIST = ("PATH", "LANG", "LC_ALL", "COURSE_PROFILE", "COURSE_DATA_DIR", "NBGRADER_EXECUTION",
                 "NBGRADER_VALIDATING", "MPLBACKEND", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                 "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PYTHONHASHSEED")


@dataclass
class Limits:
    """Per-kernel resource limits."""

    memory_bytes: int = 6 * 2**30  # address space; torch's CUDA build needs ~3 GiB just to import
    processes: int = 128  # for the kernel's uid (applies when it is not root)
    file_bytes: int = 256 * 2**20  # largest file the kernel may write
    open_files: int = 1024
    cpu_seconds: int = 1200  # CPU time of the kernel process (all its threads)


@dataclass
class Policy:
    """What one sandboxed kernel may see and use."""

    hidden: list[Path] = field(default_factory=list)  # replaced by empty tmpfs mounts
    readonly: list[Path] = field(default_factory=list)  # bound read-only even if under a hidden path
    limits: Limits = field(default_factory=Limits)


def bwrap() -> str | None:
    """Path of the bubblewrap binary, or None."""
    return shutil.which("bwrap")


def bwrap_works() -> bool:
    """bubblewrap exists and can create the namespaces we need on this machine."""
    exe = bwrap()
    if not exe:
        return False
    import subprocess

    try:
        proc = subprocess.run([exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net",
                               "--unshare-pid", "--die-with-parent", "true"], capture_output=True, timeout=20)
        return proc.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def drops_privileges() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


class KernelUid:
    """A uid held by one kernel: an exclusive ``flock`` on ``UID_LOCKS/<uid>`` while the kernel lives.

    The lock goes with the process that holds it, so a grader killed midway frees its uids. Kernels cannot
    reach the locks (their ``/tmp`` is private). :meth:`release` also kills whatever still runs as the uid
    (processes left behind when the kernel ran without bubblewrap's PID namespace) and gives the uid back only
    once no task of it is left, so that the next kernel to get the uid starts with a process count of zero.

    That wait matters: a killed process still counts towards its uid's process limit until it has been
    reaped, and ``pkill`` returns before that (measured 2026-12-04: 100 killed processes, all still there when
    it returned). A kernel killed at the end of its notebook (``shutdown_kernel = "immediate"``) right after a
    fork bomb's left its successor on the same uid without room for its threads: "the kernel died".
    """

    def __init__(self, uid: int, fd: int):
        self.uid, self._fd = uid, fd

    def release(self, wait_s: float = 10.0) -> None:
        if self._fd < 0:
            return
        pkill = shutil.which("pkill")
        deadline = time.monotonic() + wait_s
        while True:
            if pkill:  # again on every round: a fork bomb may have forked while the previous round killed
                subprocess.run([pkill, "-KILL", "-U", str(self.uid)], capture_output=True, timeout=10)
            if not tasks_of(self.uid):
                break
            if time.monotonic() > deadline:
                # still not reaped: keep the uid claimed for the life of this process rather than hand on a
                # non-zero process count (the pool has a thousand)
                self._fd = -1
                return
            time.sleep(0.02)
        os.close(self._fd)
        self._fd = -1


def tasks_of(uid: int) -> int:
    """How many processes, zombies included, have ``uid`` as their real user id (they count towards its
    RLIMIT_NPROC until reaped)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/status", "rb") as fh:
                    status = fh.read()
            except OSError:  # gone meanwhile
                continue
            start = status.find(b"\nUid:\t")
            if start >= 0 and int(status[start + 6:].split(b"\t", 1)[0]) == uid:
                count += 1
    return count


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by process ``pid`` and its live descendants,
    plus what their reaped children used.

    Read from ``/proc`` while the processes live: a kernel inside bubblewrap's PID namespace is reaped in
    there and killed at the end of its notebook, so its time never reaches the grader's own
    ``RUSAGE_CHILDREN``. Returns 0.0 when ``pid`` is gone."""
    parent_of: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                raw = fh.read()
        except OSError:  # gone meanwhile
            continue
        fields = raw[raw.rfind(b")") + 2:].split()  # after the command name, which may hold spaces
        # fields[1]: ppid; fields[11:15]: utime, stime, cutime, cstime (proc(5) fields 4 and 14-17)
        parent_of[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = sum(int(x) for x in fields[11:15])
    if pid not in ticks:
        return 0.0
    tree, frontier = {pid}, [pid]
    while frontier:
        frontier = [child for child, parent in parent_of.items() if parent in frontier and child not in tree]
        tree.update(frontier)
    return sum(ticks[p] for p in tree) / os.sysconf("SC_CLK_TCK")


def claim_uid() -> KernelUid:
    """The first uid of :data:`UID_POOL` that no live kernel on this machine holds."""
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for uid in UID_POOL:
        fd = os.open(UID_LOCKS / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return KernelUid(uid, fd)
    raise RuntimeError(f"all {len(UID_POOL)} kernel uids are in use")


def describe(use_bwrap: bool, lim: Limits | None = None, timeouts=None) -> str:
    """One line for the grade report: which protection was in force, with the limits the kernels get (``lim``:
    the configured ones, :func:`autograder.grader_settings.kernel_limits`; default the built-in values) and, given
    ``timeouts`` (:class:`autograder.grader_settings.GraderSettings`), the cell and notebook time-outs in force."""
    lim = lim or Limits()
    procs = f"{lim.processes} processes, " if drops_privileges() else ""
    limits = (f"limits: {lim.memory_bytes // 2**30} GiB memory, {procs}{lim.file_bytes // 2**20} MiB files, "
              f"{lim.cpu_seconds} s CPU per kernel")
    if timeouts is not None:
        limits += f", {timeouts.cell_timeout_s} s per cell, {timeouts.notebook_timeout_s} s per notebook"
    user = (f"a uid of its own per kernel ({UID_POOL.start}-{UID_POOL.stop - 1})" if drops_privileges()
            else f"uid {os.geteuid()} (grader's own user)")
    if use_bwrap:
        return (f"sandbox: bubblewrap (no network, read-only file system, course files hidden, private scratch "
                f"and /tmp), {user}, {limits}")
    return f"sandbox: FALLBACK without bubblewrap (no file-system or network isolation), {user}, {limits}"


def exposed(paths: list[Path], limit: int = 5) -> list[str]:
    """What of ``paths`` (the sandbox's hidden paths) a kernel without bubblewrap could read, as reasons; empty when
    nothing.

    Without privileges to drop, the kernel is the grader's own user and reads everything the grader reads. As
    root, the kernel runs as a uid of its own that owns nothing and is in no group, so only the "other" bits
    count: a path is safe when a folder on its way lacks ``o+x``; a folder whose names ``o+r`` lists, or a file
    under it that ``o+r`` reads, through folders that all have ``o+x``, is exposed."""
    found: list[str] = []
    if not drops_privileges():
        return [f"{p} (the kernel would run as the grader's own uid {os.geteuid()})" for p in paths if p.exists()][:limit]

    def other(path: Path, bit: int) -> bool:
        try:
            return bool(os.stat(path).st_mode & bit)
        except OSError:
            return False

    for path in paths:
        path = Path(path).absolute()
        if not path.exists() or not all(other(a, 0o001) for a in path.parents):
            continue
        if path.is_file():
            if other(path, 0o004):
                found.append(f"{path} (mode {os.stat(path).st_mode & 0o777:o})")
            continue
        for folder, dirs, files in os.walk(path):
            here = Path(folder)
            if not other(here, 0o001):
                dirs[:] = []
                continue
            if other(here, 0o004):
                found.append(f"{here} (folder mode {os.stat(here).st_mode & 0o777:o})")
            found += [f"{here / f} (mode {os.stat(here / f).st_mode & 0o777:o})" for f in files if other(here / f, 0o004)]
            if len(found) >= limit:
                break
    return found[:limit]


def _prlimit(limits: Limits) -> list[str]:
    exe = shutil.which("prlimit")
    if not exe:
        return []
    args = [exe, f"--as={limits.memory_bytes}", f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}",
            f"--cpu={limits.cpu_seconds}", "--core=0"]
    if drops_privileges():
        # RLIMIT_NPROC counts every process of the kernel's uid; only meaningful for a dedicated uid (for the
        # grader's own user it would count the instructor's other processes too)
        args.append(f"--nproc={limits.processes}")
    return args + ["--"]


def _drop(uid: int = NOBODY) -> list[str]:
    if not drops_privileges():
        return []
    return [shutil.which("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def kernel_env(scratch: Path) -> dict[str, str]:
    """The whole environment a sandboxed kernel gets."""
    env = {k: os.environ[k] for k in ENV_WHITELIST if k in os.environ}
    env.update(HOME=str(scratch), USER="student", LOGNAME="student", TMPDIR="/tmp", MPLCONFIGDIR=str(scratch / ".matplotlib"),
               COURSE_CACHE_DIR=str(scratch / ".cache"), COURSE_RESULTS_DIR=str(scratch / "results"),
               COURSE_CHECKPOINTS="0", PYTHONDONTWRITEBYTECODE="1", JUPYTER_RUNTIME_DIR=str(scratch / ".runtime"))
    env.setdefault("PATH", "/usr/bin:/bin")
    return env


def wrap(cmd: list[str], scratch: Path, sockets: Path, policy: Policy, use_bwrap: bool,
         uid: int = NOBODY) -> list[str]:
    """The command that runs ``cmd`` (a kernel) inside the sandbox, as ``uid`` when the grader is root."""
    prefix = _prlimit(policy.limits)
    inner = _drop(uid) + cmd
    if not use_bwrap:
        return prefix + inner
    args = [bwrap(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--clearenv"]
    # Inside a tmpfs (/tmp, or a hidden path) bubblewrap creates missing parents of a mount point with mode
    # 0700, root only. Create them first as traversable (0711: no listing), so that the kernel's user can
    # reach its own folders and nothing else.
    tmpfs_roots = [Path("/tmp")]

    def parents_first(path: Path) -> list[str]:
        out = []
        for ancestor in reversed(path.parents):
            if any(root in ancestor.parents for root in tmpfs_roots):
                out += ["--perms", "0711", "--dir", str(ancestor)]
        return out

    for path in sorted({p.resolve() for p in policy.hidden if p.exists()}, key=lambda p: len(p.parts)):
        if path.is_dir():
            args += parents_first(path) + ["--tmpfs", str(path)]
            tmpfs_roots.append(path)
        else:  # a file (Gradescope's submission_metadata.json): a tmpfs can only cover a folder
            args += parents_first(path) + ["--ro-bind", "/dev/null", str(path)]
    for path in policy.readonly:
        if path.exists():
            args += parents_first(path.resolve()) + ["--ro-bind", str(path.resolve()), str(path.resolve())]
    for path in (scratch.resolve(), sockets.resolve()):
        args += parents_first(path) + ["--bind", str(path), str(path)]
    for key, value in kernel_env(scratch).items():
        args += ["--setenv", key, value]
    args += ["--chdir", str(scratch.resolve()), "--"]
    return prefix + args + inner


def paths_for(workspace: course.Workspace, extra_hidden: tuple[Path, ...] = ()) -> tuple[list[str], list[str]]:
    """(hidden, read-only) paths for the kernels of a grading run: the sandbox's path policy, in one place."""
    hidden = [course.SOLUTIONS, course.ROOT / "autograder", course.ROOT / ".git", workspace.root, *extra_hidden]
    from course_utils.paths import data_root

    readonly = [data_root(), course.ROOT / "course_utils", course.ROOT / "grading_kernel", course.ROOT / ".venv",
                *_interpreter_paths()]
    return [str(p) for p in hidden], [str(p) for p in readonly]


def _interpreter_paths() -> list[Path]:
    """What the kernel's interpreter needs wherever it lives: its environment (``sys.prefix``) and the folders its
    installed finders map the course's packages to (an editable install; these may differ from ``course.ROOT``, as in
    the Gradescope emulation, where the kit's own environment grades an unpacked zip)."""
    paths = [Path(sys.prefix)]
    for finder in sys.meta_path:
        if finder is importlib.machinery.PathFinder or not hasattr(finder, "find_spec"):
            continue
        for name in ("course_utils", "grading_kernel"):
            try:
                spec = finder.find_spec(name, None)
            except Exception:  # a finder that cannot answer for a top-level name
                continue
            if spec is not None and spec.origin:
                paths.append(Path(spec.origin).parent)
    return paths
