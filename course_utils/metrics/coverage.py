"""What a GAN on Fashion-MNIST covers, and whether its discriminator memorises, checked during training.

- :func:`classes_covered` -- the classes with at least 1 % of a label histogram: coverage, which a class
  histogram measures robustly (unlike its shape, which depends on how a classifier labels in-between images);
- :func:`coverage_probe` -- an ``eval_fn`` for :func:`course_utils.training.train_gan`: every few steps, the
  classes and KL to uniform of samples from fixed noise (by the evaluation classifier), their Frechet distance
  to real test images, and the discriminator's gap (its mean probability of "real" on images it trains on minus
  on held-out ones: the sign of memorisation that Karras et al. 2020 track);
- :func:`nearest_distance` -- the mean distance from each image to its nearest neighbour in a set: samples that
  copy training images lie closer to them than held-out real images do.

Notebook 05 and its reference runs (:mod:`course_utils.reference_configs`) both check their runs with these,
so a reference run's curves are the notebook's.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from .images import classifier_features, frechet_distance, kl_to_uniform


def classes_covered(counts: np.ndarray, share: float = 0.01) -> int:
    """How many classes hold at least ``share`` of the histogram ``counts`` (1 % = a tenth of a fair share)."""
    counts = np.asarray(counts)
    return int((counts >= share * counts.sum()).sum())


def coverage_probe(G: nn.Module, D: nn.Module, classifier: nn.Module, noise: torch.Tensor, real_features: torch.Tensor,
                   seen: torch.Tensor, unseen: torch.Tensor) -> Callable[[nn.Module, int], dict]:
    """An ``eval_fn(G, step)`` returning ``classes``, ``kl``, ``fd`` and ``d_gap`` for ``G(noise)``.

    ``real_features`` are the classifier's features of real test images (as many as ``noise`` has rows: the
    distance is biased by the sample size, so keep it fixed to compare runs); ``seen`` are images D trains on and
    ``unseen`` held-out ones (the same number). G and D are measured in eval mode and put back as they were.
    """
    device = noise.device
    seen, unseen = seen.to(device), unseen.to(device)

    def probe(_G: nn.Module, step: int) -> dict:
        modes = G.training, D.training
        G.eval(), D.eval()
        with torch.no_grad():
            samples = G(noise)
            counts = np.bincount(classifier(samples).argmax(1).cpu().numpy(), minlength=10)
            gap = (torch.sigmoid(D(seen)).mean() - torch.sigmoid(D(unseen)).mean()).item()
        G.train(modes[0]), D.train(modes[1])
        return {"classes": classes_covered(counts), "kl": kl_to_uniform(counts),
                "fd": frechet_distance(classifier_features(classifier, samples), real_features), "d_gap": gap}

    return probe


@torch.no_grad()
def nearest_distance(images: torch.Tensor, reference: torch.Tensor, chunk: int = 250) -> float:
    """Mean over ``images`` of the Euclidean distance (pixels flattened) to the nearest image of ``reference``."""
    reference = reference.flatten(1).float()
    flat = images.flatten(1).float().to(reference.device)
    return torch.cat([torch.cdist(c, reference).min(1).values for c in flat.split(chunk)]).mean().item()
