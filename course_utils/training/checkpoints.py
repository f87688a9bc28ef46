"""Load or train: a finished configuration is loaded from the cache instead of being retrained.

The key is a hash of the configuration *and* of the source code of the student's pieces (models,
losses), so that fixing a bug and rerunning trains again instead of loading the buggy run. Checkpoints
live in ``COURSE_CACHE_DIR/checkpoints/<name>/<key>.pt`` with a ``.json`` of the configuration beside
them. While nbgrader executes a notebook nothing is loaded (every submission trains its own models).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from .. import paths, profile
from ..paths import fingerprint


def load_or_train(
    name: str,
    config: dict,
    models: dict[str, nn.Module],
    train: Callable[[], Any],
    code: tuple = (),
) -> tuple[Any, bool]:
    """Return ``(history, loaded)``: load ``models``' weights and the history if this configuration was
    trained before, else call ``train()`` (which trains ``models`` in place and returns a history) and save.
    """
    file = checkpoint_file(name, config, code)
    history = load_checkpoint(file, models)
    if history is not None:
        return history, True
    history = train()
    save_checkpoint(file, name, config, models, history)
    return history, False


def checkpoint_file(name: str, config: dict, code: tuple = ()) -> Path:
    """Where the run ``name`` with ``config``, trained by the student's ``code``, is cached."""
    key = paths.cache_key(profile=profile.get_profile(), code=fingerprint(*code) if code else "", **config)
    return paths.cache_dir("checkpoints", name) / f"{key}.pt"


def load_checkpoint(file: Path, models: dict[str, nn.Module]) -> Any | None:
    """The cached history, with ``models``' weights loaded in place; ``None`` when there is nothing usable."""
    if not (paths.caching_enabled() and file.is_file()):
        return None
    try:
        return restore_trained(torch.load(file, map_location="cpu", weights_only=False), models)
    except Exception as exc:  # a corrupt or incompatible checkpoint is retrained, not fatal
        print(f"ignoring unusable checkpoint {file.name}: {exc}")
        return None


def trained_state(models: dict[str, nn.Module], history: Any) -> dict:
    """What a finished run leaves: its models' weights (on the CPU) and its history."""
    return {"models": {k: {n: t.detach().cpu() for n, t in m.state_dict().items()} for k, m in models.items()},
            "history": history}


def restore_trained(saved: dict, models: dict[str, nn.Module]) -> Any:
    """Load the weights of a :func:`trained_state` into ``models`` in place; returns its history."""
    for model_name, model in models.items():
        model.load_state_dict(saved["models"][model_name])
    return saved["history"]


def save_checkpoint(file: Path, name: str, config: dict, models: dict[str, nn.Module], history: Any) -> None:
    """Cache a finished run (nothing when caching is off); written to a temporary file first, then renamed."""
    if not paths.caching_enabled():
        return
    tmp = file.with_suffix(".tmp")
    torch.save({**trained_state(models, history), "config": config}, tmp)
    tmp.replace(file)
    file.with_suffix(".json").write_text(json.dumps({"name": name, **config}, indent=2, default=str))
