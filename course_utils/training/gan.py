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

:func:`train_gan` is a facade: it checks its arguments, picks a step strategy (:mod:`.steps`) and callbacks
(:mod:`.callbacks`) and runs the course's one loop (:func:`.loop.run`), which chooses the precision once
(:func:`course_utils.device.loop_precision`: bfloat16 autocast for convolutional models where it is measured
faster). The losses are computed outside autocast on float32 scores; a ``step_fn`` or ``g_step_fn`` written by
the student runs as written, in float32. Per-step numbers stay on the device and reach the host in chunks.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from ..device import Precision, loop_precision
from . import callbacks as cb
from .loop import History, run
from .steps import Batches, GANStep, StudentGeneratorStep, StudentWholeStep, model_inputs

class GANHistory(History):
    """The loops' one :class:`~.loop.History`, made with a GAN run's fields present (empty unless given): the four
    per-step series, ``snapshots`` (step -> samples), ``evals``, ``seconds`` (a reference run's, say)."""

    def __init__(self, **fields):
        super().__init__(d_loss=[], g_loss=[], d_real=[], d_fake=[], snapshots={}, evals=[], seconds=0.0)
        self.update(fields)


def _check(steps: int, g_loss_on: str, step_fn, g_loss, g_step_fn, mismatched, penalty_fn, snap_at: set) -> None:
    if g_loss_on not in ("scores", "samples"):
        raise ValueError(f"g_loss_on must be 'scores' or 'samples', got {g_loss_on!r}")
    if step_fn is None and g_loss is None and g_step_fn is None:
        raise ValueError("give g_loss (with d_loss), g_step_fn, or a whole step_fn")
    if mismatched is not None and (step_fn is not None or penalty_fn is not None):
        raise ValueError("mismatched pairs work with d_loss alone (not with step_fn or penalty_fn)")
    if not all(0 <= int(step) <= steps for step in snap_at):
        raise ValueError(f"snapshot_steps must lie in 0..{steps}, got {sorted(snap_at)}")


def train_gan(
    G: nn.Module, D: nn.Module | None, real_batches: Batches, *, z_dim: int, steps: int,
    opt_G: torch.optim.Optimizer, opt_D: torch.optim.Optimizer | None = None,
    d_loss: Callable | None = None, g_loss: Callable | None = None, g_loss_on: str = "scores", n_critic: int = 1,
    clip_fn: Callable[[nn.Module, float], None] | None = None, clip_value: float | None = None,
    penalty_fn: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    g_step_fn: Callable | None = None, step_fn: Callable | None = None, mismatched: Callable | None = None,
    batch_size: int = 64, noise: Callable[[int], torch.Tensor] | None = None, fixed_noise: torch.Tensor | None = None,
    n_snapshots: int = 3, snapshot_steps: Sequence[int] | None = None,
    eval_fn: Callable[[nn.Module, int], dict] | None = None, eval_every: int | None = None,
    desc: str = "GAN", show_progress: bool = True, precision: Precision | None = None,
) -> GANHistory:
    """Train ``G`` (and ``D``) for ``steps`` generator steps; see the module docstring for the pieces.

    ``real_batches``: an iterator of real batches (:func:`course_utils.data.random_batches`) or a function
    ``batch_size -> batch`` (a mixture sampler). ``noise(n)`` draws generator inputs (default ``randn(n, z_dim)``
    on G's device); ``fixed_noise`` (default 64 draws) makes the snapshots. Conditional: real ``(x, c)``, noise ``(z, c)``.
    ``snapshot_steps`` lists the steps to snapshot (0 is before training) instead of ``n_snapshots`` evenly spread ones.
    ``precision`` overrides the device module's choice (the training benchmark compares them). Returns a
    :class:`.loop.History`: ``d_loss``, ``g_loss``, ``d_real``, ``d_fake`` per step, ``snapshots``, ``evals``, ``seconds``.
    """
    snap_at = set(cb.spread_steps(steps, n_snapshots) if snapshot_steps is None else snapshot_steps)
    _check(steps, g_loss_on, step_fn, g_loss, g_step_fn, mismatched, penalty_fn, snap_at)
    device = next(G.parameters()).device
    noise = noise or (lambda n: torch.randn(n, z_dim, device=device))
    fixed_noise = fixed_noise if fixed_noise is not None else noise(64)
    precision = loop_precision(G, D, override=precision)
    if step_fn is not None:
        step = StudentWholeStep(step_fn, G, D, opt_G, opt_D, real_batches, batch_size, z_dim)
    else:
        pieces = dict(G=G, D=D, real_batches=real_batches, noise=noise, precision=precision, opt_G=opt_G, opt_D=opt_D,
                      d_loss=d_loss, g_loss=g_loss, g_loss_on=g_loss_on, n_critic=n_critic, clip_fn=clip_fn,
                      clip_value=clip_value, penalty_fn=penalty_fn, mismatched=mismatched, batch_size=batch_size)
        step = GANStep(**pieces) if g_step_fn is None else StudentGeneratorStep(**pieces, g_step_fn=g_step_fn, z_dim=z_dim)
    callbacks = [cb.StepSnapshots(G, model_inputs(fixed_noise), snap_at)]
    if eval_fn is not None and eval_every:
        callbacks.append(cb.StepEvaluation(G, eval_fn, eval_every, steps))
    return run(step, range(1, steps + 1), models=(G, D), precision=precision, callbacks=[*callbacks, cb.Clock()],
               history=GANHistory(), desc=desc, show_progress=show_progress)
