"""A small supervised / likelihood training loop (classifiers, the IMDB models, the VAE).

The student's model and loss are arguments; the loop adds the optimiser step, a progress bar, a
per-epoch history and an optional evaluation after each epoch.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

import torch
from torch import nn

from ..progress import progress as progress_bar


def fit(
    model: nn.Module,
    batches: Iterable,
    loss_fn: Callable[[nn.Module, object], torch.Tensor | tuple[torch.Tensor, dict]],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    *,
    on_epoch_end: Callable[[nn.Module, int], dict] | None = None,
    max_grad_norm: float | None = None,
    desc: str = "train",
    show_progress: bool = True,
) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` passes over ``batches``.

    ``loss_fn(model, batch)`` returns the loss, or ``(loss, {name: value})`` to log more terms.
    Returns ``{"loss": [per step], "<term>": [per step], "epoch_<metric>": [per epoch], "seconds": [..]}``.
    """
    history: dict[str, list[float]] = {"loss": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        iterator = progress_bar(batches, desc=f"{desc} epoch {epoch}/{epochs}") if show_progress else batches
        for batch in iterator:
            out = loss_fn(model, batch)
            loss, terms = (out if isinstance(out, tuple) else (out, {}))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if max_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            history["loss"].append(float(loss.detach()))
            for name, value in terms.items():
                history.setdefault(name, []).append(float(value))
        if on_epoch_end is not None:
            model.eval()
            for name, value in (on_epoch_end(model, epoch) or {}).items():
                history.setdefault(f"epoch_{name}", []).append(float(value))
        history.setdefault("seconds", []).append(time.perf_counter() - start)
    return history
