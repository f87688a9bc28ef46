"""A small supervised / likelihood training loop (classifiers, the IMDB models, the VAE).

The student's model and loss are arguments; the loop adds the optimiser step, a progress bar, a
per-epoch history, an optional evaluation after each epoch, an optional learning-rate schedule and,
for early stopping, a return to the weights of the best epoch.

:func:`fit` is a facade over the course's one loop (:func:`.loop.run`): a :class:`.steps.SupervisedStep` and the
callbacks its arguments ask for (:mod:`.callbacks`). ``loss_fn`` runs in the precision the loop chooses once
(:func:`course_utils.device.loop_precision`: bfloat16 autocast for convolutional models where it is measured
faster); evaluations (``on_epoch_end``, ``snapshot_fn``) run in float32. Per-step numbers stay on the device and
reach the host in chunks.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import nn

from ..device import Precision, loop_precision
from . import callbacks as cb
from .loop import History, run
from .steps import SupervisedStep


def fit(
    model: nn.Module, batches: Iterable, loss_fn: Callable[[nn.Module, object], torch.Tensor | tuple[torch.Tensor, dict]],
    optimizer: torch.optim.Optimizer, epochs: int, *, on_epoch_end: Callable[[nn.Module, int], dict] | None = None,
    max_grad_norm: float | None = None, after_step: Callable[[nn.Module], None] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None, scheduler_every: str = "epoch",
    keep_best: str | None = None, snapshot_fn: Callable[[nn.Module], torch.Tensor] | None = None,
    snapshot_every: int = 1, desc: str = "train", show_progress: bool = True, precision: Precision | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``batches``.

    ``loss_fn(model, batch)`` returns the loss, or ``(loss, {name: value})`` to log more terms. ``after_step(model)``
    runs after every optimiser step (a WGAN critic's weight clipping). ``scheduler`` steps once per epoch, or after
    every optimiser step with ``scheduler_every="step"`` (one-cycle, warm-up). ``keep_best="<metric>"`` (one that
    ``on_epoch_end`` returns, higher is better) puts back the best epoch's weights at the end (early stopping;
    ``history["best_epoch"]``). ``snapshot_fn(model)`` (a VAE's ``sample``) runs in eval mode without gradients before
    training and every ``snapshot_every`` epochs (and after the last): ``history["snapshots"]``, ``["snapshot_epochs"]``.
    Returns a :class:`.loop.History`: ``loss`` and logged terms per step, ``epoch_<metric>`` and ``seconds`` per epoch.
    """
    if scheduler_every not in ("epoch", "step"):
        raise ValueError(f"scheduler_every must be 'epoch' or 'step', got {scheduler_every!r}")
    if keep_best is not None and on_epoch_end is None:
        raise ValueError("keep_best needs on_epoch_end to return the metric it names")
    precision = loop_precision(model, override=precision)
    step = SupervisedStep(model, loss_fn, optimizer, precision, max_grad_norm, after_step,
                          scheduler if scheduler_every == "step" else None)
    callbacks = [cb.EpochEvaluation(model, on_epoch_end)] if on_epoch_end is not None else []
    callbacks += [cb.KeepBest(model, keep_best)] if keep_best is not None else []
    callbacks += [cb.EpochSnapshots(model, snapshot_fn, snapshot_every)] if snapshot_fn is not None else []
    callbacks += [cb.EpochSchedule(scheduler)] if scheduler is not None and scheduler_every == "epoch" else []
    return run(step, batches, models=(model,), precision=precision, epochs=epochs, callbacks=[*callbacks, cb.Clock(True)],
               history=History(loss=[]), desc=lambda epoch: f"{desc} epoch {epoch}/{epochs}", show_progress=show_progress)
