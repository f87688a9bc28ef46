"""SandboxedExecute: nbgrader's Execute, with every kernel started inside :mod:`autograder.grading.sandbox`.

The kernel manager below changes three things about how a kernel is launched:

- the kernel runs in a fresh, empty scratch folder (not next to the graded notebook, which at that point
  holds the hidden tests);
- it talks to the grader over unix sockets in a folder of its own (ZeroMQ ``ipc`` transport), since the
  sandbox has no network;
- the command is wrapped by :func:`autograder.grading.sandbox.wrap` (bubblewrap, resource limits, a uid of its own).

The policy (hidden paths, limits) comes from traitlets config, set by the grader for each run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Bool, Int, List, Unicode

from ..grading import sandbox


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that launches its kernel inside the course sandbox."""

    hidden_paths = List(Unicode(), default_value=[], help="paths hidden from the kernel").tag(config=True)
    readonly_paths = List(Unicode(), default_value=[], help="paths bound read-only").tag(config=True)
    scratch_root = Unicode("", help="where per-kernel scratch folders are made").tag(config=True)
    use_bwrap = Bool(True, help="use bubblewrap when it works (else the fallback)").tag(config=True)
    cpu_report = Unicode("", help="a file to which each kernel, when shut down, appends its CPU seconds (its "
                                  "sandbox launcher included): the grading's timings").tag(config=True)
    memory_bytes = Int(sandbox.Limits.memory_bytes).tag(config=True)
    processes = Int(sandbox.Limits.processes).tag(config=True)
    file_bytes = Int(sandbox.Limits.file_bytes).tag(config=True)
    cpu_seconds = Int(sandbox.Limits.cpu_seconds).tag(config=True)

    _scratch: Path | None = None
    _sockets: Path | None = None
    _uid: sandbox.KernelUid | None = None

    def _policy(self) -> sandbox.Policy:
        limits = sandbox.Limits(memory_bytes=self.memory_bytes, processes=self.processes,
                                file_bytes=self.file_bytes, cpu_seconds=self.cpu_seconds)
        from jupyter_core.paths import jupyter_runtime_dir

        hidden = [Path(p) for p in self.hidden_paths] + [Path(jupyter_runtime_dir())]
        return sandbox.Policy(hidden=hidden, readonly=[Path(p) for p in self.readonly_paths], limits=limits)

    async def _async_pre_start_kernel(self, **kw):
        use = self.use_bwrap and sandbox.bwrap_works()
        # Inside bubblewrap the scratch's parents are made traversable in the sandbox only; without it the kernel's
        # uid must reach its scratch through the real folders, so it lives in /tmp, not in the private (root-only)
        # grading workspace.
        root = Path(self.scratch_root if use and self.scratch_root else tempfile.gettempdir())
        root.mkdir(parents=True, exist_ok=True)
        self._scratch = Path(tempfile.mkdtemp(prefix="kernel-", dir=root))
        scratch = self._scratch / "work"
        scratch.mkdir()
        # unix socket paths are limited to 108 bytes, so the sockets live in a short folder of their own
        self._sockets = Path(tempfile.mkdtemp(prefix="cg-", dir="/tmp" if os.path.isdir("/tmp") else None))
        sockets = self._sockets
        # Interrupts travel as messages (the kernel then signals itself): a signal to the launcher's process
        # group does not reach a kernel inside bubblewrap's PID namespace.
        self.kernel_spec.interrupt_mode = "message"
        self.transport = "ipc"
        self.connection_file = str(sockets / "kernel.json")
        self.ip = str(sockets / "kernel-ipc")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        # ipykernel's launcher, replaced by the guarded kernel (restores tampered state before tests)
        kernel_cmd = ["grading_kernel" if part == "ipykernel_launcher" else part for part in kernel_cmd]
        uid = sandbox.NOBODY
        if sandbox.drops_privileges():
            self._uid = sandbox.claim_uid()  # its own uid: its process limit is not shared with other kernels
            uid = self._uid.uid
            for path in (self._scratch, scratch, sockets, Path(self.connection_file)):
                os.chown(path, uid, uid)
        kw["cwd"] = str(scratch)
        # The kernel's own stdout / stderr go nowhere: a submission cannot flood the grader's terminal or
        # logs, and what it prints to the notebook still travels over the kernel protocol.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        kw["stdin"] = subprocess.DEVNULL
        kw["env"] = sandbox.kernel_env(scratch) if not use else dict(os.environ)  # bwrap clears it itself
        return sandbox.wrap(kernel_cmd, scratch, sockets, self._policy(), use, uid), kw

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        process = getattr(self.provisioner, "process", None)
        if process is not None and not restart and self.cpu_report:  # read before the kernel is reaped out of sight
            with open(self.cpu_report, "a") as report:
                report.write(f"{sandbox.tree_cpu_seconds(process.pid)}\n")
        await super().shutdown_kernel(now=now, restart=restart)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._uid is not None and not restart:
            self._uid.release()  # kills what still runs as the uid, then hands the uid on
            self._uid = None
        if self._scratch is not None and not restart:
            shutil.rmtree(self._scratch, ignore_errors=True)
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._scratch = self._sockets = None

    async def cleanup_resources(self, restart: bool = False) -> None:
        """What nbclient calls, without a shutdown, for a kernel that has died (``os._exit``, a segfault).

        ``AsyncKernelManager.cleanup_resources`` is jupyter_client's own function, bound when its class was
        defined, so without this the clean-up above never ran for a dead kernel: its uid stayed claimed for the
        life of the grading worker, its folders stayed in /tmp, and, without bubblewrap's PID namespace, what
        it had forked kept running as that uid. A kernel shut down alive gets here a second time: harmless.
        """
        await self._async_cleanup_resources(restart=restart)


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor, launching kernels with :class:`SandboxedKernelManager`.

    It also gives a cell's output as long to arrive as the cell had to run. nbclient takes a cell as done
    when two things have come: the execute reply on the shell channel and the "idle" status on the IOPub
    channel, after every output the cell printed. It waits ``iopub_timeout`` (4 s by default) for the second
    after the first, and nbgrader makes a miss fatal (``raise_on_iopub_timeout = True``): the whole notebook
    fails with ``CellTimeoutError: Timeout waiting for IOPub output``. The two channels are read by
    different coroutines, so how long the outputs take to be read after the reply depends on how much there
    is (50,000 printed lines) and on how busy the machine is (two gradings on two cores, a fork bomb next
    door), not on the student's code: an interrupted infinite loop, whose reply nbclient writes itself the
    moment it interrupts, waits for the kernel to deliver the KeyboardInterrupt under the same 4 s. That race
    made grading flaky under load (the same submission graded 10/10, then "did not stop when interrupted").
    Here the wait for the outputs is the cell's own time limit, and a kernel that sends nothing in that time
    still fails the notebook as before.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        if self.timeout and self.timeout > 0:
            self.iopub_timeout = max(self.iopub_timeout, int(self.timeout))
