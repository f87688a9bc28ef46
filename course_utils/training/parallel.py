"""Several independent training runs at once, one per CPU core.

The course's small models leave a second core partly idle. ``benchmarks/side_by_side.py`` (AMD EPYC, 2 cores,
2026-12-05): four runs of notebook 05's ring GAN took 28.8 s one after another and 14.7 s two at a time, one
thread each (1.96x); four of its Fashion-MNIST MLP GANs 95.3 s and 67.3 s (1.42x). A notebook that trains
several runs (seeds, recipes, datasets) describes each as a :class:`TrainJob` and hands them all to
:func:`load_or_train_all`.

How: each run that is not in the cache is trained in a child process made with ``fork``, so that the child
has the notebook's functions, models and data as they are, without pickling anything. The child trains with
one thread, its progress bars off and its output in a log file, and writes the weights and the history to a
file; the kernel loads them into the same model objects and caches them as :func:`load_or_train` does. A
failing run stops the others and raises with the end of its log.

A job trains exactly as it would have where it was made: it keeps the random state of that moment
(python, numpy, torch) and restores it before training, so the result does not depend on the order in
which jobs run, nor on whether they run here or in a child.

Runs go one after the other in the kernel itself (the plain :func:`load_or_train` path) in the ``fast``
profile (CI and grading, where runs take seconds and the sandbox limits processes), on a GPU (a forked
child cannot use CUDA), outside Linux, and when ``COURSE_TRAIN_WORKERS=1``.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Mapping

import numpy as np
import torch
from torch import nn

from .. import profile, settings
from .. import progress as progress_module
from .checkpoints import checkpoint_file, load_checkpoint, restore_trained, save_checkpoint, trained_state


def _random_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_random_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class TrainJob:
    """One run for :func:`load_or_train_all`: the arguments of :func:`load_or_train`, a rough relative ``cost``
    (runs start costliest first, so that the last ones to finish are short and no core idles long at the end),
    and the random state at the moment the job is made (right after its models are built)."""

    name: str
    config: dict
    models: dict[str, nn.Module]
    train: Callable[[], Any]
    code: tuple = ()
    cost: float = 1.0
    random_state: dict = field(default_factory=_random_state, repr=False)

    def run(self) -> Any:
        """Train here and now, from the random state the job was made with; returns the history."""
        _restore_random_state(self.random_state)
        return self.train()


def default_workers(n_jobs: int) -> int:
    """How many runs train at once: ``COURSE_TRAIN_WORKERS`` when set, else one per CPU core in the full profile
    on a CPU under Linux, else 1 (see the module docstring)."""
    setting = settings.current().train_workers
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(f"COURSE_TRAIN_WORKERS must be a whole number >= 1, got {setting!r}")
        workers = int(setting)
    elif profile.is_fast() or profile.on_cuda_gpu() or not sys.platform.startswith("linux"):
        workers = 1
    else:
        workers = len(os.sched_getaffinity(0))
    return max(1, min(workers, n_jobs))


def load_or_train_all(
    jobs: Mapping[Hashable, TrainJob], *, workers: int | None = None, desc: str = "runs"
) -> dict[Hashable, tuple[Any, bool]]:
    """``{key: (history, loaded)}`` for every job, as :func:`load_or_train` would return it; the runs that are
    not cached train ``workers`` at a time (default :func:`default_workers`), each with an equal share of the
    cores. The models of every job hold the trained weights afterwards."""
    files = {key: checkpoint_file(job.name, job.config, job.code) for key, job in jobs.items()}
    results: dict[Hashable, tuple[Any, bool]] = {}
    todo = []
    for key, job in jobs.items():
        history = load_checkpoint(files[key], job.models)
        if history is None:
            todo.append(key)
        else:
            results[key] = (history, True)
    workers = default_workers(len(todo)) if workers is None else max(1, min(workers, len(todo)))
    if workers == 1:
        for key in todo:
            history = jobs[key].run()
            save_checkpoint(files[key], jobs[key].name, jobs[key].config, jobs[key].models, history)
            results[key] = (history, False)
    elif todo:
        todo.sort(key=lambda key: -jobs[key].cost)  # stable: equal costs keep their order
        threads = max(1, len(os.sched_getaffinity(0)) // workers)
        with tempfile.TemporaryDirectory(prefix="course-runs-") as folder:
            outputs = _train_in_children({key: jobs[key] for key in todo}, Path(folder), workers, threads, desc)
            for key in todo:
                history = restore_trained(torch.load(outputs[key], map_location="cpu", weights_only=False),
                                          jobs[key].models)
                save_checkpoint(files[key], jobs[key].name, jobs[key].config, jobs[key].models, history)
                results[key] = (history, False)
    return {key: results[key] for key in jobs}


def _fork_child(job: TrainJob, output: Path, log: Path, threads: int) -> int:
    """Fork; the child trains ``job``, saves it to ``output`` and exits (0 on success). Returns the child's pid."""
    with warnings.catch_warnings():  # python >= 3.12 warns about fork in a threaded process; the child only trains
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = sys.stderr = os.fdopen(fd, "w", buffering=1)
        progress_module.show_progress(False)
        torch.set_num_threads(threads)
        history = job.run()
        torch.save(trained_state(job.models, history), output)
        status = 0
    except BaseException:  # noqa: BLE001 -- everything goes to the log, which the parent shows
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
        finally:
            os._exit(status)


def _train_in_children(jobs: dict[Hashable, TrainJob], folder: Path, workers: int, threads: int,
                       desc: str) -> dict[Hashable, Path]:
    """Train every job in a forked child, ``workers`` at a time; the path of each job's saved result."""
    pending = list(jobs)
    running: dict[int, tuple[Hashable, Path]] = {}
    outputs = {key: folder / f"run{i}.pt" for i, key in enumerate(jobs)}
    logs = {key: folder / f"run{i}.log" for i, key in enumerate(jobs)}
    start = time.perf_counter()
    bar = progress_module.progress(range(len(jobs)), desc=f"{desc}: {len(jobs)} runs, {workers} at a time")
    try:
        while pending or running:
            while pending and len(running) < workers:
                key = pending.pop(0)
                running[_fork_child(jobs[key], outputs[key], logs[key], threads)] = (key, logs[key])
            time.sleep(0.05)
            for pid in list(running):
                finished, status = os.waitpid(pid, os.WNOHANG)
                if not finished:
                    continue
                key, log = running.pop(pid)
                code = os.waitstatus_to_exitcode(status)
                if code != 0 or not outputs[key].is_file():
                    tail = log.read_text(errors="replace")[-3000:] if log.is_file() else ""
                    raise RuntimeError(f"the training run {key!r} failed (exit status {code}); the end of its "
                                       f"output:\n{tail}")
                bar.update(1)
    finally:
        for pid in running:  # an error or an interrupt: stop the others, and reap them
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        bar.close()
    print(f"{desc}: {len(jobs)} runs trained {workers} at a time ({threads} thread{'s' * (threads > 1)} each) "
          f"in {time.perf_counter() - start:.0f} s")
    return outputs
