"""The evaluation classifier: a small CNN trained on Fashion-MNIST that judges generated images.

Notebooks 05, 06 and 08 use it for class histograms of samples, conditional accuracy, an Inception
Score and a Frechet distance on its penultimate features (see :mod:`course_utils.metrics.images`).
The weights ship with the package (``eval_classifier.pt``), with the measured test accuracy and the
command that trained them in ``eval_classifier.json``; ``train_classifier.py`` is that script.
"""

from .classifier import EvalClassifier, load_eval_classifier, weights_info

__all__ = ["EvalClassifier", "load_eval_classifier", "weights_info"]
