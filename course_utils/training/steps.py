"""Step strategies for :func:`course_utils.training.loop.run`: one optimisation step each, returning what it logs.

- :class:`GANStep`: ``n_critic`` discriminator steps on ``d_loss`` (with weight clipping, a gradient penalty,
  mismatched real pairs for a matching-aware conditional discriminator), then a generator step on ``g_loss`` (on
  the discriminator's scores, or on the samples themselves);
- :class:`StudentGeneratorStep`: the same critic steps, then the student's own generator step (unrolled GANs);
- :class:`StudentWholeStep`: the student's whole step (notebook 03's ``train_step``);
- :class:`SupervisedStep`: a loss, a backward pass, gradient clipping, the optimiser, a per-step schedule.

Forward passes (and the gradient penalty) run in the loop's precision (bfloat16 autocast where
:mod:`course_utils.device` chose it); losses are computed on float32 scores. What the student wrote as a whole
step or a generator step runs as written, in float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import nn

from ..device import Precision

Batches = Iterator[torch.Tensor] | Callable[[int], torch.Tensor]
NAN = float("nan")


def next_batch(batches: Batches, batch_size: int):
    """The next real batch: from an iterator, or from a function ``batch_size -> batch`` (a mixture sampler)."""
    return batches(batch_size) if callable(batches) else next(batches)


def model_inputs(batch: torch.Tensor | tuple) -> tuple:
    """A batch as a tuple of model inputs: ``x`` alone, or ``(x, condition)`` for conditional models."""
    return tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)


def _mean_score(scores: torch.Tensor) -> torch.Tensor:
    return scores.detach().float().mean()


@dataclass
class GANStep:
    """A loss-based GAN step (see the module docstring); ``__call__(step)`` ignores the step number."""

    G: nn.Module
    D: nn.Module | None
    real_batches: Batches
    noise: Callable[[int], torch.Tensor | tuple]
    precision: Precision
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer | None = None
    d_loss: Callable | None = None
    g_loss: Callable | None = None
    g_loss_on: str = "scores"
    n_critic: int = 1
    clip_fn: Callable[[nn.Module, float], None] | None = None
    clip_value: float | None = None
    penalty_fn: Callable | None = None
    mismatched: Callable | None = None
    batch_size: int = 64

    def __call__(self, _step: int) -> dict:
        d_value, d_real, d_fake = NAN, NAN, NAN
        if self.d_loss is not None and self.D is not None:
            for _ in range(self.n_critic):
                d_value, d_real, d_fake = self.critic_step()
        g_value, g_fake = self.generator_step(next_batch(self.real_batches, self.batch_size))
        d_fake = g_fake if g_fake is not None and self.d_loss is None else d_fake
        return {"d_loss": d_value, "g_loss": g_value, "d_real": d_real, "d_fake": d_fake}

    def critic_step(self) -> tuple:
        """One discriminator step; (loss, mean score on real, mean score on fake)."""
        G, D = self.G, self.D
        real, *real_c = model_inputs(next_batch(self.real_batches, self.batch_size))
        z, *fake_c = model_inputs(self.noise(real.shape[0]))
        with self.precision.autocast():  # forward passes only: the losses below see float32
            with torch.no_grad():
                fake = G(z, *fake_c)
            real_scores, fake_scores = D(real, *real_c), D(fake, *fake_c)
            penalty = self.penalty_fn(D, real, fake) if self.penalty_fn is not None else None
            if self.mismatched is not None:
                if not real_c:
                    raise ValueError("mismatched needs conditional batches: (x, c) pairs")
                wrong_scores = D(real, self.mismatched(*real_c))
        real_scores, fake_scores = real_scores.float(), fake_scores.float()
        d_fake = _mean_score(fake_scores)
        if self.mismatched is not None:
            fake_scores = torch.cat([fake_scores, wrong_scores.float()])
        loss = self.d_loss(real_scores, fake_scores)
        if penalty is not None:
            loss = loss + penalty.float()
        self.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_D.step()
        if self.clip_fn is not None:
            self.clip_fn(D, self.clip_value)
        return loss.detach(), _mean_score(real_scores), d_fake

    def generator_step(self, real) -> tuple:
        """One generator step on ``g_loss``; (loss, mean score on fake or None)."""
        real, *_ = model_inputs(real)
        z, *fake_c = model_inputs(self.noise(real.shape[0]))
        with self.precision.autocast():
            fake = self.G(z, *fake_c)
            fake_scores = self.D(fake, *fake_c) if self.g_loss_on == "scores" else None
        if self.g_loss_on == "samples":
            loss, mean_fake = self.g_loss(real, fake.float()), None
        else:
            fake_scores = fake_scores.float()
            loss, mean_fake = self.g_loss(fake_scores), _mean_score(fake_scores)
        self.opt_G.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_G.step()
        return loss.detach(), mean_fake


@dataclass
class StudentGeneratorStep(GANStep):
    """Critic steps as :class:`GANStep`, then ``g_step_fn(G, D, opt_G, real, z_dim) -> float``, run as written."""

    g_step_fn: Callable | None = None
    z_dim: int = 0

    def generator_step(self, real) -> tuple:
        return self.g_step_fn(self.G, self.D, self.opt_G, real, self.z_dim), None


@dataclass
class StudentWholeStep:
    """``step_fn(G, D, opt_G, opt_D, real, z_dim) -> {"d_loss": ..., "g_loss": ...}``, run as written."""

    step_fn: Callable
    G: nn.Module
    D: nn.Module | None
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer | None
    real_batches: Batches
    batch_size: int
    z_dim: int

    def __call__(self, _step: int) -> dict:
        out = self.step_fn(self.G, self.D, self.opt_G, self.opt_D, next_batch(self.real_batches, self.batch_size),
                           self.z_dim)
        return {"d_loss": out.get("d_loss", NAN), "g_loss": out.get("g_loss", NAN)}


@dataclass
class SupervisedStep:
    """``loss_fn(model, batch)`` (the loss, or ``(loss, {name: value})``), backward, clipping, the optimiser step,
    then ``after_step(model)`` and a per-step schedule."""

    model: nn.Module
    loss_fn: Callable
    optimizer: torch.optim.Optimizer
    precision: Precision
    max_grad_norm: float | None = None
    after_step: Callable[[nn.Module], None] | None = None
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None  # stepped here only when it steps per step

    def __call__(self, batch) -> dict:
        with self.precision.autocast():
            out = self.loss_fn(self.model, batch)
        loss, terms = out if isinstance(out, tuple) else (out, {})
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.max_grad_norm is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
        self.optimizer.step()
        if self.after_step is not None:
            self.after_step(self.model)
        if self.scheduler is not None:
            self.scheduler.step()
        return {"loss": loss, **terms}
