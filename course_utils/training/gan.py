"""One GAN trainer for every notebook.

The loop is fixed; what differs between objectives comes in as arguments written by the student:

- ``d_loss(real_scores, fake_scores)`` and ``g_loss(fake_scores)`` (BCE, WGAN, LSGAN ...);
- ``g_loss_on="samples"`` for a generator loss on images instead of scores (``mse_g_loss(real, fake)``);
  with ``d_loss=None`` the discriminator is not trained at all;
- ``n_critic`` discriminator steps per generator step, ``clip_fn(D, clip_value)`` after each of them
  (WGAN weight clipping), ``penalty_fn(D, real, fake)`` added to the discriminator loss (WGAN-GP);
- ``g_step_fn(G, D, opt_G, real, z_dim) -> float`` replaces the generator step (unrolled GANs);
- ``step_fn(G, D, opt_G, opt_D, real, z_dim) -> dict`` replaces a whole step (notebook 03's ``train_step``);
- conditional GANs: real batches are ``(x, c)`` pairs and ``noise(n)`` returns ``(z, c)``; the trainer
  then calls ``G(z, c)``, ``D(x, c)`` and ``D(G(z, c), c)``. With ``mismatched(c) -> c'`` (other labels for
  the same real images) the discriminator also learns to reject real images paired with a wrong label, the
  "matching-aware" discriminator of Reed et al. (2016, GAN-CLS): its fake scores are then the generated
  pairs and the mismatched real pairs together, so a mean-reduced ``d_loss`` weighs them half and half.

It records a history (losses, mean discriminator scores on real and fake data), snapshots of samples
from fixed noise (by default before training, in the middle and at the end; or at chosen steps),
optional evaluations every few steps, and shows a progress bar.

Forward passes (and the gradient penalty) run in the precision :func:`course_utils.device.training_precision`
chooses (bfloat16 autocast for convolutional models where it is measured faster); the losses are computed
outside autocast on float32 scores. A ``step_fn`` or ``g_step_fn`` written by the student runs as written,
in float32. Per-step numbers stay on the device and reach the host in chunks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch
from torch import nn

from ..device import Precision, training_precision
from ..progress import progress as progress_bar
from .history import StepLog

Batches = Iterator[torch.Tensor] | Callable[[int], torch.Tensor]


@dataclass
class GANHistory:
    """What a GAN run leaves behind (plain lists and CPU tensors, so it saves with ``torch.save``)."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)  # mean D output on real data
    d_fake: list[float] = field(default_factory=list)  # mean D output on generated data
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)  # step -> samples from fixed noise
    evals: list[dict] = field(default_factory=list)  # {"step": s, metric: value, ...}
    seconds: float = 0.0


def _flush(log: StepLog, history: GANHistory) -> None:
    """Move the logged per-step values into the history's lists."""
    for name, values in log.flush().items():
        getattr(history, name).extend(values)
        values.clear()


def _next_real(batches: Batches, batch_size: int) -> torch.Tensor:
    return batches(batch_size) if callable(batches) else next(batches)


def _snapshot_steps(steps: int, n: int) -> list[int]:
    """Evenly spread steps from 0 (before training) to ``steps`` (after the last step)."""
    if n <= 1:
        return [steps]
    return sorted({round(i * steps / (n - 1)) for i in range(n)})


def _args(batch: torch.Tensor | tuple) -> tuple:
    """A batch as a tuple of model inputs: ``x`` alone, or ``(x, condition)`` for conditional models."""
    return tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)


def _mean_score(scores: torch.Tensor) -> torch.Tensor:
    return scores.detach().float().mean()


def train_gan(
    G: nn.Module,
    D: nn.Module | None,
    real_batches: Batches,
    *,
    z_dim: int,
    steps: int,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer | None = None,
    d_loss: Callable | None = None,
    g_loss: Callable | None = None,
    g_loss_on: str = "scores",
    n_critic: int = 1,
    clip_fn: Callable[[nn.Module, float], None] | None = None,
    clip_value: float | None = None,
    penalty_fn: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    g_step_fn: Callable | None = None,
    step_fn: Callable | None = None,
    mismatched: Callable | None = None,
    batch_size: int = 64,
    noise: Callable[[int], torch.Tensor] | None = None,
    fixed_noise: torch.Tensor | None = None,
    n_snapshots: int = 3,
    snapshot_steps: Sequence[int] | None = None,
    eval_fn: Callable[[nn.Module, int], dict] | None = None,
    eval_every: int | None = None,
    desc: str = "GAN",
    show_progress: bool = True,
    precision: Precision | None = None,
) -> GANHistory:
    """Train ``G`` (and ``D``) for ``steps`` generator steps; see the module docstring for the pieces.

    ``real_batches`` is an iterator of real batches (e.g. :func:`course_utils.data.random_batches`) or a function
    ``batch_size -> batch`` (e.g. a mixture sampler). ``noise(n)`` draws generator inputs (default
    ``randn(n, z_dim)`` on G's device); ``fixed_noise`` (default 64 such draws) makes the snapshots.
    For a conditional GAN both come as tuples: real ``(x, c)``, noise ``(z, c)``.
    ``snapshot_steps`` lists the steps to snapshot (0 is before training) instead of ``n_snapshots`` evenly spread ones.
    ``precision`` overrides the device module's choice (the training benchmark compares them).
    """
    if g_loss_on not in ("scores", "samples"):
        raise ValueError(f"g_loss_on must be 'scores' or 'samples', got {g_loss_on!r}")
    if step_fn is None and g_loss is None and g_step_fn is None:
        raise ValueError("give g_loss (with d_loss), g_step_fn, or a whole step_fn")
    if mismatched is not None and (step_fn is not None or penalty_fn is not None):
        raise ValueError("mismatched pairs work with d_loss alone (not with step_fn or penalty_fn)")
    device = next(G.parameters()).device
    noise = noise or (lambda n: torch.randn(n, z_dim, device=device))
    fixed_noise = fixed_noise if fixed_noise is not None else noise(64)
    snap_at = set(_snapshot_steps(steps, n_snapshots) if snapshot_steps is None else snapshot_steps)
    if not all(0 <= int(step) <= steps for step in snap_at):
        raise ValueError(f"snapshot_steps must lie in 0..{steps}, got {sorted(snap_at)}")
    history = GANHistory()

    def snapshot(step: int) -> None:
        if step in snap_at:
            was_training = G.training
            G.eval()
            with torch.no_grad():
                history.snapshots[step] = G(*_args(fixed_noise)).detach().cpu()
            G.train(was_training)
        if eval_fn is not None and eval_every and (step % eval_every == 0 or step == steps):
            was_training = G.training
            G.eval()
            history.evals.append({"step": step, **eval_fn(G, step)})
            G.train(was_training)

    precision = (precision or training_precision(device)).for_models(G, D)
    log = StepLog()
    start = time.perf_counter()
    snapshot(0)
    G.train()
    if D is not None:
        D.train()
    with precision.scope():
        for step in progress_bar(range(1, steps + 1), desc=desc) if show_progress else range(1, steps + 1):
            if step_fn is not None:  # a whole step written by the student: run as written, in float32
                out = step_fn(G, D, opt_G, opt_D, _next_real(real_batches, batch_size), z_dim)
                log.append("d_loss", out.get("d_loss", float("nan")))
                log.append("g_loss", out.get("g_loss", float("nan")))
                log.step_done()
                snapshot(step)
                continue

            nan = float("nan")
            d_value, d_real, d_fake = nan, nan, nan
            if d_loss is not None and D is not None:
                for _ in range(n_critic):
                    real, *real_c = _args(_next_real(real_batches, batch_size))
                    z, *fake_c = _args(noise(real.shape[0]))
                    with precision.autocast():  # forward passes only: the losses below see float32
                        with torch.no_grad():
                            fake = G(z, *fake_c)
                        real_scores, fake_scores = D(real, *real_c), D(fake, *fake_c)
                        penalty = penalty_fn(D, real, fake) if penalty_fn is not None else None
                        if mismatched is not None:
                            if not real_c:
                                raise ValueError("mismatched needs conditional batches: (x, c) pairs")
                            wrong_scores = D(real, mismatched(*real_c))
                    real_scores, fake_scores = real_scores.float(), fake_scores.float()
                    d_fake = _mean_score(fake_scores)
                    if mismatched is not None:
                        fake_scores = torch.cat([fake_scores, wrong_scores.float()])
                    loss = d_loss(real_scores, fake_scores)
                    if penalty is not None:
                        loss = loss + penalty.float()
                    opt_D.zero_grad(set_to_none=True)
                    loss.backward()
                    opt_D.step()
                    if clip_fn is not None:
                        clip_fn(D, clip_value)
                    d_value, d_real = loss.detach(), _mean_score(real_scores)

            real = _next_real(real_batches, batch_size)
            if g_step_fn is not None:  # the student's generator step, run as written, in float32
                g_value = g_step_fn(G, D, opt_G, real, z_dim)
            else:
                real, *_ = _args(real)
                z, *fake_c = _args(noise(real.shape[0]))
                with precision.autocast():
                    fake = G(z, *fake_c)
                    fake_scores = D(fake, *fake_c) if g_loss_on == "scores" else None
                if g_loss_on == "samples":
                    loss = g_loss(real, fake.float())
                else:
                    fake_scores = fake_scores.float()
                    loss = g_loss(fake_scores)
                    d_fake = _mean_score(fake_scores) if d_loss is None else d_fake
                opt_G.zero_grad(set_to_none=True)
                loss.backward()
                opt_G.step()
                g_value = loss.detach()
            for name, value in (("d_loss", d_value), ("g_loss", g_value), ("d_real", d_real), ("d_fake", d_fake)):
                log.append(name, value)
            log.step_done()
            snapshot(step)
    _flush(log, history)
    history.seconds = time.perf_counter() - start
    return history
