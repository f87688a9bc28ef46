"""The one trainer of the GAN reference runs: what every reference configuration does once it is set up.

A configuration's ``train`` function (:mod:`course_utils.reference_configs`) builds what its notebook trains (the
networks, data, recipe and evaluations, in the notebook's own order: the order decides the random draws, hence the
weights) and hands it over as a :class:`GanRun`. :func:`train` runs it with the course's trainer and writes the
record every reference keeps, so that the notebooks read one format: the losses binned to about 200 points, the
evaluations, the training seconds, the fixed noise's samples halfway and at the end as bytes, and the run's own extras.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from .training import train_gan
from .training.loop import History

LOSS_POINTS = 200  # a long run's loss curve is kept as about this many window means


@dataclass
class GanRun:
    """A reference GAN run, set up and not yet trained.

    ``arguments`` are :func:`course_utils.training.train_gan`'s keywords (noise size, optimisers, losses, fixed noise,
    evaluation, progress label); ``summarise`` turns the finished history into the final metrics (it may sample the
    generator: it runs after training and before the record is written); ``record`` holds extra JSON-able entries.
    """

    G: nn.Module
    D: nn.Module
    batches: Any
    arguments: dict[str, Any]
    summarise: Callable[[History], dict]
    record: dict[str, Any] = field(default_factory=dict)


def binned(values: list[float], width: int) -> list[float]:
    """Means over consecutive windows of ``width`` steps (a long run's loss curve, kept small)."""
    return [sum(values[i:i + width]) / len(values[i:i + width]) for i in range(0, len(values), width)]


def to_pixels(images: torch.Tensor) -> list[list[int]]:
    """Images in [-1, 1] as rows of bytes (0..255), the compact form a reference keeps its samples in."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).flatten(1).tolist()


def train(run: GanRun, steps: int) -> tuple[dict, dict, dict]:
    """Train ``run`` for ``steps`` generator steps: ``({"G": state_dict}, record, metrics)``."""
    history = train_gan(run.G, run.D, run.batches, steps=steps, **run.arguments)
    metrics = run.summarise(history)
    width = max(1, steps // LOSS_POINTS)
    record = {"bin_steps": width, "d_loss": binned(history.d_loss, width), "g_loss": binned(history.g_loss, width),
              "evals": history.evals, "train_seconds": history.seconds, **run.record,
              "snapshots_uint8": {str(s): to_pixels(history.snapshots[s]) for s in (steps // 2, steps)}}
    return {"G": run.G.state_dict()}, record, metrics
