"""Training recipes as data, declared once by a notebook and read by everything that trains its runs.

A notebook states how each of its GANs trains in one literal table in a given cell, for example::

    RECIPES = {
        "DCGAN": {"d_loss": "bce_d_loss", "g_loss": "bce_g_loss", "optimizer": "adam", "lr": 1e-3,
                  "betas": (0.5, 0.999), "batch_size": 64},
        "WGAN": {"d_loss": "wgan_d_loss", "g_loss": "wgan_g_loss", "n_critic": 5, "clip_fn": "clip_weights_",
                 "clip_value": 0.01, "optimizer": "rmsprop", "lr": 5e-5, "batch_size": 64},
    }

Functions are named, not passed, so the table is plain data: the notebook builds its runs from it with
:func:`optimizer_for` and :func:`gan_arguments` over its own namespace, and the reference runs and the
recipe benchmark read the same table from the notebook's source
(:func:`course_utils.notebook_code.load_constants`). A changed learning rate in the notebook is then a
changed code fingerprint of its reference runs, never a silent copy that drifts.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import torch

Recipe = Mapping[str, Any]

OPTIMIZER_KEYS = {"optimizer", "lr", "betas"}
TRAINER_KEYS = {"batch_size", "d_loss", "g_loss", "n_critic", "clip_fn", "clip_value", "penalty_fn"}
MODEL_KEYS = {"model"}  # keyword arguments of the notebook's network constructors, e.g. {"spectral": True}
FUNCTION_KEYS = ("d_loss", "g_loss", "clip_fn", "penalty_fn")  # values that name a function of the notebook


def check_recipe(name: str, recipe: Recipe) -> None:
    """Raise ValueError for an unknown key or optimiser, so that a typo never trains a different recipe."""
    unknown = set(recipe) - OPTIMIZER_KEYS - TRAINER_KEYS - MODEL_KEYS
    if unknown:
        raise ValueError(f"recipe {name!r}: unknown keys {sorted(unknown)}; known: "
                         f"{sorted(OPTIMIZER_KEYS | TRAINER_KEYS | MODEL_KEYS)}")
    if recipe.get("optimizer") not in ("adam", "rmsprop", "sgd"):
        raise ValueError(f"recipe {name!r}: optimizer must be 'adam', 'rmsprop' or 'sgd', got {recipe.get('optimizer')!r}")
    if "lr" not in recipe:
        raise ValueError(f"recipe {name!r} has no learning rate 'lr'")


def optimizer_for(recipe: Recipe, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """The recipe's optimiser over ``params`` (the same settings for the generator and the critic)."""
    check_recipe("recipe", recipe)
    kind, lr = recipe["optimizer"], recipe["lr"]
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(recipe.get("betas", (0.9, 0.999))))
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.SGD(params, lr=lr)


def gan_arguments(recipe: Recipe, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :func:`course_utils.training.train_gan` for the recipe: its losses, critic steps,
    clipping and penalty, with each named function looked up in ``namespace`` (a notebook's ``globals()``)."""
    check_recipe("recipe", recipe)
    arguments: dict[str, Any] = {}
    for key in TRAINER_KEYS & set(recipe):
        value = recipe[key]
        if key in FUNCTION_KEYS:
            if value not in namespace or not callable(namespace[value]):
                raise NameError(f"the recipe names {key}={value!r}, which is not a function defined here")
            value = namespace[value]
        arguments[key] = value
    return arguments


def with_changes(recipe: Recipe, **changes: Any) -> dict[str, Any]:
    """A copy of ``recipe`` with some settings changed (a benchmark's or a study's variant of it)."""
    out = dict(recipe, **changes)
    check_recipe("changed recipe", out)
    return out


def describe(recipe: Recipe) -> str:
    """One line a student reads: optimiser, learning rate, betas, critic steps, clipping or penalty, batch."""
    lr = f"{recipe['lr']:.0e}".replace("e-0", "e-").replace("e+0", "e")  # 1e-3, as the papers write it
    parts = [recipe["optimizer"].replace("adam", "Adam").replace("rmsprop", "RMSprop").replace("sgd", "SGD") + f" {lr}"]
    if recipe["optimizer"] == "adam":
        parts[0] += f", betas {tuple(recipe.get('betas', (0.9, 0.999)))}"
    parts.append(f"{recipe.get('n_critic', 1)} critic step{'s' * (recipe.get('n_critic', 1) != 1)}")
    if recipe.get("clip_fn"):
        parts.append(f"clipping at {recipe.get('clip_value'):g}")
    if recipe.get("penalty_fn"):
        parts.append("gradient penalty")
    parts.append(f"batch {recipe.get('batch_size', 64)}")
    return "; ".join(parts)

