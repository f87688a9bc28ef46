"""The course's one training loop (d2l's ``Trainer``, kept small): a step strategy, callbacks, one history.

:func:`run` owns what every run shares: the models' train mode, a progress bar, the per-step log
(:class:`~course_utils.training.history.StepLog`, which keeps a GPU from stalling on every loss), and the precision
scope, chosen once by :func:`course_utils.device.loop_precision`. What differs between runs comes in two kinds:

- a **step strategy**, ``step(batch) -> {name: value}``: one optimisation step and the numbers it logs (a GAN's
  critic and generator steps, the student's own generator step or whole step, a supervised step:
  :mod:`course_utils.training.steps`);
- **callbacks** (:class:`Callback`) that watch the run: snapshots, evaluations, hooks after each step, a
  learning-rate schedule, the best epoch's weights, the clock (:mod:`course_utils.training.callbacks`).

:func:`course_utils.training.train_gan` and :func:`course_utils.training.fit` are thin facades that build a
strategy and callbacks from their arguments and hand them to :func:`run`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn

from ..device import Precision
from ..progress import progress as progress_bar
from .history import StepLog


class History(dict):
    """What a run leaves behind, read as ``history["loss"]`` or ``history.loss`` (the same thing).

    Per-step series are lists of floats; a GAN run also holds ``snapshots`` (step -> CPU samples), ``evals``
    (``[{"step": s, metric: value}, ...]``) and ``seconds``; a :func:`~course_utils.training.fit` run holds its
    per-epoch metrics as ``epoch_<name>`` and ``seconds`` per epoch. Plain lists, numbers and CPU tensors, so it saves
    with ``torch.save`` and, without tensors, with ``json.dumps``.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"this history has no {name!r}; it has {sorted(self)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class Callback:
    """Hooks :func:`run` calls; each does nothing unless a subclass overrides it.

    ``on_start`` runs before the first step (outside the precision scope), ``on_step`` after each step (its
    number counts from 1 over the whole run), ``on_epoch`` after each pass over the batches, ``on_end`` after the
    last (outside the precision scope). They run in the order given.
    """

    def on_start(self, state: "LoopState") -> None: ...

    def on_step(self, state: "LoopState", step: int) -> None: ...

    def on_epoch(self, state: "LoopState", epoch: int) -> None: ...

    def on_end(self, state: "LoopState") -> None: ...


@dataclass
class LoopState:
    """What callbacks see: the models, the history being written, the step log, the precision, the start time."""

    models: Sequence[nn.Module]
    history: History
    log: StepLog
    precision: Precision
    epochs: int
    start: float = field(default_factory=time.perf_counter)


def run(step: Callable[[Any], dict], batches: Iterable, *, models: Sequence[nn.Module | None], precision: Precision,
        epochs: int = 1, callbacks: Sequence[Callback] = (), history: History | None = None,
        desc: str | Callable[[int], str] = "train", show_progress: bool = True) -> History:
    """Run ``step`` on every item of ``batches``, ``epochs`` times; returns the history the log and callbacks wrote.

    ``models`` are put in train mode at the start of every epoch (callbacks may switch them to eval mode in
    between). ``desc`` labels the progress bar, or gives its label for an epoch number. ``step`` returns the
    numbers of the step by name (tensors stay on the device until the log moves them in chunks).
    """
    models = [m for m in models if m is not None]
    state = LoopState(models, history if history is not None else History(), None, precision, epochs)
    state.log = StepLog(state.history)
    for callback in callbacks:
        callback.on_start(state)
    count = 0
    with precision.scope():
        for epoch in range(1, epochs + 1):
            for model in models:
                model.train()
            label = desc(epoch) if callable(desc) else desc
            for batch in progress_bar(batches, desc=label) if show_progress else batches:
                for name, value in step(batch).items():
                    state.log.append(name, value)
                state.log.step_done()
                count += 1
                for callback in callbacks:
                    callback.on_step(state, count)
            state.log.flush()
            for callback in callbacks:
                callback.on_epoch(state, epoch)
    for callback in callbacks:
        callback.on_end(state)
    return state.history


def in_eval_mode(model: nn.Module, fn: Callable[[], Any]) -> Any:
    """``fn()`` with ``model`` in eval mode, its mode put back after."""
    was_training = model.training
    model.eval()
    try:
        return fn()
    finally:
        model.train(was_training)


def no_grad_eval(model: nn.Module, fn: Callable[[], Any]) -> Any:
    """``fn()`` in eval mode and without gradients (snapshots)."""
    with torch.no_grad():
        return in_eval_mode(model, fn)
