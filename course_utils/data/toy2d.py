"""Small 2-D data sets for experiments that run in seconds: the toy problems of the WGAN-GP paper.

Gulrajani et al. 2017 ("Improved Training of Wasserstein GANs", Figure 1 and its ``gan_toy.py``) train critics
on three 2-D distributions: eight Gaussians on a circle, a 5 x 5 grid of 25 Gaussians, and a Swiss roll.
The scales follow that code (every set lies roughly within [-2, 2]^2), so one plotting window fits all three.

Each sampler takes ``n`` and an optional ``torch.Generator`` and returns an ``(n, 2)`` float32 tensor.
:class:`PairedBatches` feeds (real, fake) pairs to :func:`course_utils.training.fit` for critic training
against a fixed "generator" (for instance the data plus Gaussian noise, as in the paper's Figure 1).
"""

from __future__ import annotations

import math
from typing import Callable, Iterator

import torch

Sampler = Callable[..., torch.Tensor]


def eight_gaussians(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Eight Gaussians (std 0.02) on a circle of radius 2, scaled by 1/1.414 as in the paper's code."""
    angles = torch.arange(8) * (2 * math.pi / 8)
    centers = 2.0 * torch.stack([angles.cos(), angles.sin()], dim=1)
    which = torch.randint(0, 8, (n,), generator=generator)
    return (centers[which] + 0.02 * torch.randn(n, 2, generator=generator)) / 1.414


def twentyfive_gaussians(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A 5 x 5 grid of Gaussians (centres -4..4 in steps of 2, std 0.05), scaled by 1/2.828."""
    grid = torch.tensor([(x, y) for x in range(-2, 3) for y in range(-2, 3)], dtype=torch.float32) * 2.0
    which = torch.randint(0, 25, (n,), generator=generator)
    return (grid[which] + 0.05 * torch.randn(n, 2, generator=generator)) / 2.828


def swiss_roll(n: int, generator: torch.Generator | None = None, noise: float = 0.25) -> torch.Tensor:
    """The 2-D Swiss roll (scikit-learn's ``make_swiss_roll``, its x and z coordinates) divided by 7.5."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    points = torch.stack([t * t.cos(), t * t.sin()], dim=1)
    return (points + noise * torch.randn(n, 2, generator=generator)) / 7.5


TOY_DATASETS: dict[str, Sampler] = {
    "8 Gaussians": eight_gaussians,
    "25 Gaussians": twentyfive_gaussians,
    "Swiss roll": swiss_roll,
}


class PairedBatches:
    """``steps`` fresh ``(real, fake)`` batches per pass, for :func:`course_utils.training.fit`.

    ``fake_fn(real, generator)`` makes the fake batch from the real one; the default is the WGAN-GP paper's
    fixed generator, the real data plus N(0, 1) noise. One ``torch.Generator`` seeded once draws every batch,
    so a run is reproducible and two critics given the same seed see the same batches.
    """

    def __init__(self, sample: Sampler, batch_size: int, steps: int, seed: int = 0, device="cpu",
                 fake_fn: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None):
        if steps < 1 or batch_size < 1:
            raise ValueError(f"PairedBatches needs steps >= 1 and batch_size >= 1, got {steps} and {batch_size}")
        self.sample, self.batch_size, self.steps = sample, batch_size, steps
        self.device = torch.device(device)
        self.fake_fn = fake_fn or (lambda real, g: real + torch.randn(real.shape, generator=g))
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _ in range(self.steps):
            real = self.sample(self.batch_size, generator=self.generator)
            fake = self.fake_fn(real, self.generator)
            yield real.to(self.device), fake.to(self.device)
