"""A small supervised / likelihood training loop (classifiers, the IMDB models, the VAE).

The student's model and loss are arguments; the loop adds the optimiser step, a progress bar, a
per-epoch history, an optional evaluation after each epoch, an optional learning-rate schedule and,
for early stopping, a return to the weights of the best epoch.

``loss_fn`` runs in the precision :func:`course_utils.device.training_precision` chooses (bfloat16 autocast
for convolutional models where it is measured faster); evaluations (``on_epoch_end``, ``snapshot_fn``) run in float32.
Per-step numbers stay on the device and reach the host in chunks.
"""

from __future__ import annotations

import copy
import time
from typing import Callable, Iterable

import torch
from torch import nn

from ..device import Precision, training_precision
from ..progress import progress as progress_bar
from .history import StepLog


def fit(
    model: nn.Module,
    batches: Iterable,
    loss_fn: Callable[[nn.Module, object], torch.Tensor | tuple[torch.Tensor, dict]],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    *,
    on_epoch_end: Callable[[nn.Module, int], dict] | None = None,
    max_grad_norm: float | None = None,
    after_step: Callable[[nn.Module], None] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    scheduler_every: str = "epoch",
    keep_best: str | None = None,
    snapshot_fn: Callable[[nn.Module], torch.Tensor] | None = None,
    snapshot_every: int = 1,
    desc: str = "train",
    show_progress: bool = True,
    precision: Precision | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` passes over ``batches``.

    ``loss_fn(model, batch)`` returns the loss, or ``(loss, {name: value})`` to log more terms.
    ``after_step(model)`` runs after every optimiser step (for example a WGAN critic's weight clipping).
    ``scheduler`` is stepped once per epoch, or after every optimiser step with ``scheduler_every="step"``
    (one-cycle and warm-up schedules). ``keep_best="<metric>"`` (one that ``on_epoch_end`` returns,
    higher is better) puts back the weights of the best epoch at the end, the usual early stopping on a
    validation set; ``history["best_epoch"]`` says which one.
    ``snapshot_fn(model)`` (e.g. a VAE's ``sample``) runs in eval mode without gradients before training
    and every ``snapshot_every`` epochs (and after the last); its CPU outputs land in
    ``history["snapshots"]`` with their epochs in ``history["snapshot_epochs"]``.
    ``precision`` overrides the device module's choice.
    Returns ``{"loss": [per step], "<term>": [per step], "epoch_<metric>": [per epoch], "seconds": [..]}``.
    """
    if scheduler_every not in ("epoch", "step"):
        raise ValueError(f"scheduler_every must be 'epoch' or 'step', got {scheduler_every!r}")
    if keep_best is not None and on_epoch_end is None:
        raise ValueError("keep_best needs on_epoch_end to return the metric it names")
    history: dict[str, list[float]] = {"loss": []}
    if precision is None:
        first = next(iter(model.parameters()), None)
        precision = training_precision(first.device if first is not None else None)
    precision = precision.for_models(model)
    log = StepLog(history)
    best_value, best_state = float("-inf"), None
    start = time.perf_counter()

    def snapshot(epoch: int) -> None:
        if snapshot_fn is None or (epoch % max(1, snapshot_every) and epoch != epochs):
            return
        was_training = model.training
        model.eval()
        with torch.no_grad():
            history.setdefault("snapshots", []).append(snapshot_fn(model).detach().cpu())
        history.setdefault("snapshot_epochs", []).append(epoch)
        model.train(was_training)

    snapshot(0)
    with precision.scope():
        for epoch in range(1, epochs + 1):
            model.train()
            iterator = progress_bar(batches, desc=f"{desc} epoch {epoch}/{epochs}") if show_progress else batches
            for batch in iterator:
                with precision.autocast():
                    out = loss_fn(model, batch)
                loss, terms = (out if isinstance(out, tuple) else (out, {}))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if max_grad_norm is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                if after_step is not None:
                    after_step(model)
                if scheduler is not None and scheduler_every == "step":
                    scheduler.step()
                log.append("loss", loss)
                for name, value in terms.items():
                    log.append(name, value)
                log.step_done()
            log.flush()
            if on_epoch_end is not None:
                model.eval()
                for name, value in (on_epoch_end(model, epoch) or {}).items():
                    history.setdefault(f"epoch_{name}", []).append(float(value))
                if keep_best is not None:
                    if f"epoch_{keep_best}" not in history:
                        raise KeyError(f"keep_best={keep_best!r} but on_epoch_end returned no such metric")
                    if history[f"epoch_{keep_best}"][-1] > best_value:
                        best_value = history[f"epoch_{keep_best}"][-1]
                        best_state = copy.deepcopy(model.state_dict())
                        history["best_epoch"] = [epoch]
            snapshot(epoch)
            if scheduler is not None and scheduler_every == "epoch":
                scheduler.step()
            history.setdefault("seconds", []).append(time.perf_counter() - start)
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
