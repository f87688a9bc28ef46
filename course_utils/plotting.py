"""Plots the notebooks share: loss curves, image grids, confusion matrices, 2-D critic surfaces, sequence traces.

Every function draws on a matplotlib ``Axes`` (a new figure when none is given) and returns it, so a
notebook can combine plots or restyle them.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax=None, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Moving average with a window of ``window`` points (shorter at the start)."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < 2:
        return values
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    out = np.empty_like(values)
    for i in range(len(values)):
        lo = max(0, i + 1 - window)
        out[i] = (cumsum[i + 1] - cumsum[lo]) / (i + 1 - lo)
    return out


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str = "",
    smooth_window: int = 1,
    logy: bool = False,
    ax=None,
):
    """Several named curves on one axes (loss curves, accuracy curves), optionally smoothed."""
    ax = _axes(ax)
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), smooth(values, smooth_window), label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def image_grid(images, nrow: int = 8, title: str = "", ax=None, value_range=(-1.0, 1.0),
               row_labels: Sequence[str] | None = None):
    """Show a batch of images (N, C, H, W) or (N, H, W) as one grid, via ``torchvision.utils.make_grid``.

    ``row_labels`` names the grid's rows (for example the class each row was drawn for), one per row.
    """
    import torch
    from torchvision.utils import make_grid

    images = torch.as_tensor(images).detach().cpu().float()
    if images.dim() == 3:
        images = images.unsqueeze(1)
    padding = 2
    grid = make_grid(images, nrow=nrow, padding=padding, normalize=True, value_range=value_range, pad_value=1.0)
    ax = _axes(ax, figsize=(min(12, nrow * 1.0), min(12, (len(images) / nrow + 1) * 1.0)))
    ax.imshow(grid.permute(1, 2, 0).numpy(), cmap="gray" if grid.shape[0] == 1 else None)
    if row_labels is None:
        ax.axis("off")
    else:
        rows = -(-len(images) // nrow)
        if len(row_labels) != rows:
            raise ValueError(f"row_labels: {rows} rows need {rows} labels, got {len(row_labels)}")
        height = images.shape[-2] + padding
        ax.set_yticks([padding + i * height + images.shape[-2] / 2 for i in range(rows)], list(row_labels))
        ax.set_xticks([])
        ax.tick_params(axis="y", length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    if title:
        ax.set_title(title)
    return ax


def plot_confusion(matrix, labels: Sequence[str], title: str = "", ax=None, xlabel: str = "predicted",
                   ylabel: str = "true"):
    """A row-normalised confusion matrix (rows: true or requested class) with the share in each cell."""
    matrix = np.asarray(matrix, dtype=float)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax = _axes(ax, figsize=(7, 6))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for (i, j), share in np.ndenumerate(shares):
        if share >= 0.005:
            ax.text(j, i, f"{100 * share:.0f}", ha="center", va="center", fontsize=8,
                    color="white" if share > 0.5 else "black")
    ax.set_title(title or "confusion matrix (% of each row)")
    return ax


def plot_value_surface(critic, points=None, title: str = "", ax=None, extent: float = 2.5, n: int = 120,
                       levels: int = 20):
    """Filled contours of a 2-D critic's value over ``[-extent, extent]^2``, with ``points`` (N, 2) on top.

    Colours are per panel (each critic has its own scale); the colour bar gives it.
    """
    from .metrics.critic import value_grid

    ax = _axes(ax, figsize=(4, 4))
    xs, ys, values = value_grid(critic, extent=extent, n=n)
    filled = ax.contourf(xs.numpy(), ys.numpy(), values.numpy(), levels=levels, cmap="viridis")
    ax.contour(xs.numpy(), ys.numpy(), values.numpy(), levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    ax.figure.colorbar(filled, ax=ax, fraction=0.046, pad=0.04, label="critic value")
    if points is not None:
        points = np.asarray(points)
        ax.scatter(points[:, 0], points[:, 1], s=2, color="tab:orange", alpha=0.6, label="data")
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_binary_trace(rows: Mapping[str, Sequence[float]], title: str = "", ax=None):
    """A heatmap of 0/1 signals over time (one row per named signal), e.g. an RNN's inputs, states, outputs."""
    names = list(rows)
    data = np.array([np.asarray(rows[n], dtype=float) for n in names])
    ax = _axes(ax, figsize=(max(4, 0.5 * data.shape[1] + 2), 0.4 * len(names) + 1))
    ax.imshow(data, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(len(names)), names)
    ax.set_xticks(range(data.shape[1]))
    ax.set_xlabel("time step t (least significant bit first)")
    for (i, j), value in np.ndenumerate(data):
        ax.text(j, i, f"{value:g}", ha="center", va="center", color="white" if value > 0.5 else "black")
    if title:
        ax.set_title(title)
    return ax
