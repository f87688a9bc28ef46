"""Scores of generated Fashion-MNIST images computed with the evaluation classifier.

- :func:`label_counts` -- histogram of predicted labels (mode collapse shows as empty classes);
- :func:`kl_to_uniform` -- KL(histogram || uniform), 0 when every class is equally frequent;
- :func:`inception_score` -- exp(E_x KL(p(y|x) || p(y))), between 1 and the number of classes; high when
  each image is confidently one class and the classes are balanced (Salimans et al. 2016), here with the
  course's classifier in place of Inception-v3;
- :func:`frechet_distance` -- the Frechet distance between Gaussians fitted to the classifier's
  penultimate features of two image sets (FID's formula, Heusel et al. 2017, on a Fashion-MNIST network).

Numbers from these functions compare models within the course; they are not comparable with published
Inception-v3 IS / FID values.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import torch


@torch.no_grad()
def _batched(fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, device: torch.device,
             batch_size: int = 500) -> torch.Tensor:
    images = torch.as_tensor(images)
    return torch.cat([fn(images[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(images), batch_size)])


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def classifier_probs(classifier: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Softmax class probabilities (N, 10) of images (N, 1, 28, 28) in [-1, 1]."""
    classifier.eval()
    return torch.softmax(_batched(classifier, images, _device_of(classifier)), dim=1)


def classifier_features(classifier: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Penultimate-layer features (N, D) of images."""
    classifier.eval()
    return _batched(classifier.features, images, _device_of(classifier))


def label_counts(labels: torch.Tensor | np.ndarray | Iterable[int], num_classes: int = 10) -> np.ndarray:
    """Counts of each label 0..num_classes-1."""
    flat = torch.as_tensor(labels).reshape(-1).cpu().numpy() if hasattr(labels, "shape") else np.fromiter(labels, int)
    return np.bincount(flat.astype(np.int64), minlength=num_classes)[:num_classes]


def confusion_matrix(true, predicted, num_classes: int = 10) -> np.ndarray:
    """Counts ``(num_classes, num_classes)``: row = true (or requested) class, column = predicted class."""
    true = torch.as_tensor(true).long().flatten().cpu()
    predicted = torch.as_tensor(predicted).long().flatten().cpu()
    if true.shape != predicted.shape:
        raise ValueError(f"confusion_matrix: {true.numel()} true labels but {predicted.numel()} predictions")
    return torch.bincount(true * num_classes + predicted, minlength=num_classes ** 2).reshape(num_classes, num_classes).numpy()


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(p || uniform) of the histogram ``counts`` (natural log); 0 for a flat histogram, log K at worst."""
    p = np.asarray(counts, dtype=float)
    p = p / p.sum()
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * len(p))))


def inception_score(probs: torch.Tensor, splits: int = 1) -> float:
    """exp(mean_x KL(p(y|x) || p(y))) from class probabilities (N, K), averaged over ``splits`` chunks."""
    probs = torch.as_tensor(probs, dtype=torch.float64)
    scores = []
    for chunk in probs.chunk(splits):
        marginal = chunk.mean(0, keepdim=True)
        kl = (chunk * (torch.log(chunk.clamp_min(1e-12)) - torch.log(marginal.clamp_min(1e-12)))).sum(1)
        scores.append(torch.exp(kl.mean()).item())
    return float(np.mean(scores))


def _sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh(matrix)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2) between two feature sets (N, D).

    The symmetric form of the trace term avoids the complex square root of the non-symmetric S_a S_b;
    both give the same value.
    """
    a = torch.as_tensor(features_a, dtype=torch.float64)
    b = torch.as_tensor(features_b, dtype=torch.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    root_a = _sqrtm_psd(cov_a)
    cross = _sqrtm_psd(root_a @ cov_b @ root_a)
    value = (mu_a - mu_b).pow(2).sum() + torch.trace(cov_a + cov_b - 2 * cross)
    return float(value.clamp_min(0))
