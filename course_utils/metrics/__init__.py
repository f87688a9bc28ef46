"""Metrics for generated samples.

- :mod:`course_utils.metrics.mixture` -- modes covered and high-quality share for 2-D Gaussian mixtures;
- :mod:`course_utils.metrics.images`  -- label histograms, KL to uniform, Inception Score and Frechet
  distance computed with the evaluation classifier;
- :mod:`course_utils.metrics.critic`  -- a critic's activation gradients layer by layer, its values on a 2-D grid;
- :mod:`course_utils.metrics.coverage` -- classes covered, checks during training (coverage, Frechet distance,
  the discriminator's memorisation gap) and nearest-neighbour distances.
"""

from .images import (classifier_features, classifier_probs, confusion_matrix, frechet_distance, inception_score,
                     kl_to_uniform, label_counts)
from .critic import activation_gradient_norms, value_grid
from .coverage import classes_covered, coverage_probe, nearest_distance
from .mixture import MixtureReport, mixture_quality

__all__ = [
    "MixtureReport", "mixture_quality", "classifier_probs", "classifier_features", "label_counts",
    "kl_to_uniform", "inception_score", "frechet_distance", "confusion_matrix", "activation_gradient_norms",
    "value_grid", "classes_covered", "coverage_probe", "nearest_distance",
]
