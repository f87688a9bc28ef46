"""What a critic's Lipschitz constraint does to it: its gradients layer by layer and its value on a grid.

Gulrajani et al. 2017 (Figure 1b) train deep ReLU critics with weight clipping and plot "the norm of the
gradient of the critic loss with respect to successive layers of activations": with clipping it grows or
decays exponentially from layer to layer, with the gradient penalty it stays level.
:func:`activation_gradient_norms` measures exactly that; :func:`value_grid` evaluates a 2-D critic on a
grid for a value-surface plot (:func:`course_utils.plotting.plot_value_surface`).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def activation_gradient_norms(model: nn.Module, loss_fn: Callable[[nn.Module], torch.Tensor],
                              layer_types: tuple[type, ...] = (nn.Linear, nn.Conv2d)) -> list[float]:
    """Norm of d loss / d (output of each layer of ``layer_types``), first layer first.

    ``loss_fn(model)`` computes the loss (for a critic: its loss on one batch). The norm is taken over the
    whole batch of activations, and over every call when the loss runs the model more than once (a critic's
    loss scores a real and a fake batch). Parameters receive no gradient: ``model``'s ``.grad`` fields are
    untouched.
    """
    layers = [m for m in model.modules() if isinstance(m, layer_types)]
    if not layers:
        raise ValueError(f"the model has no layer of type {[t.__name__ for t in layer_types]}")
    outputs: list[tuple[int, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out, k=k: outputs.append((k, out))) for k, m in enumerate(layers)]
    try:
        loss = loss_fn(model)
    finally:
        for hook in hooks:
            hook.remove()
    grads = torch.autograd.grad(loss, [out for _, out in outputs], allow_unused=True)
    squares = [0.0] * len(layers)
    for (k, _), g in zip(outputs, grads):
        if g is not None:
            squares[k] += float(g.double().pow(2).sum())
    return [value ** 0.5 for value in squares]


def value_grid(critic: nn.Module, extent: float = 2.5, n: int = 120) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The critic's scores on an ``n x n`` grid over ``[-extent, extent]^2``: ``(xs, ys, values)``, values (n, n)."""
    device = next(critic.parameters()).device
    axis = torch.linspace(-extent, extent, n)
    xs, ys = torch.meshgrid(axis, axis, indexing="xy")
    points = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1).to(device)
    was_training = critic.training
    critic.eval()
    with torch.no_grad():
        values = critic(points).float().reshape(n, n).cpu()
    critic.train(was_training)
    return xs, ys, values
