"""Architecture and loading of the evaluation classifier."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "eval_classifier.pt"
INFO = HERE / "eval_classifier.json"
FEATURE_DIM = 128


class EvalClassifier(nn.Module):
    """Two conv blocks and a 128-unit feature layer; inputs are (N, 1, 28, 28) images in [-1, 1]."""

    def __init__(self, num_classes: int = 10):
        super().__init__()

        def block(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                nn.MaxPool2d(2),
            )

        self.conv = nn.Sequential(block(1, 32), block(32, 64))  # 28x28 => 14x14 => 7x7
        self.features_head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, FEATURE_DIM), nn.ReLU())
        self.classify = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, 128), used by the Frechet distance."""
        return self.features_head(self.conv(x.view(-1, 1, 28, 28)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, 10)."""
        return self.classify(self.features(x))


def weights_info() -> dict:
    """Measured accuracy, training command and date of the shipped weights."""
    return json.loads(INFO.read_text())


def load_eval_classifier(device: torch.device | str | None = None) -> EvalClassifier:
    """The trained evaluation classifier, in eval mode, with gradients off."""
    if not WEIGHTS.is_file():
        raise FileNotFoundError(
            f"{WEIGHTS} is missing: the evaluation classifier ships with course_utils. Retrain it with "
            "`python -m course_utils.evaluation.train_classifier` (needs Fashion-MNIST in the data root)."
        )
    model = EvalClassifier()
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    model.eval().requires_grad_(False)
    return model.to(device or "cpu")
