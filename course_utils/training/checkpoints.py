"""Load or train: a finished configuration is loaded from the cache instead of being retrained.

The key is a hash of the configuration *and* of the source code of the student's pieces (models,
losses), so that fixing a bug and rerunning trains again instead of loading the buggy run. Checkpoints
live in ``COURSE_CACHE_DIR/checkpoints/<name>/<key>.pt`` with a ``.json`` of the configuration beside
them. While nbgrader executes a notebook nothing is loaded (every submission trains its own models).
"""

from __future__ import annotations

import json
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
    key = paths.cache_key(profile=profile.get_profile(), code=fingerprint(*code) if code else "", **config)
    folder = paths.cache_dir("checkpoints", name)
    file = folder / f"{key}.pt"
    if paths.caching_enabled() and file.is_file():
        try:
            saved = torch.load(file, map_location="cpu", weights_only=False)
            for model_name, model in models.items():
                model.load_state_dict(saved["models"][model_name])
            return saved["history"], True
        except Exception as exc:  # a corrupt or incompatible checkpoint is retrained, not fatal
            print(f"ignoring unusable checkpoint {file.name}: {exc}")
    history = train()
    if paths.caching_enabled():
        payload = {"models": {k: {n: t.detach().cpu() for n, t in m.state_dict().items()} for k, m in models.items()},
                   "history": history, "config": config}
        tmp = file.with_suffix(".tmp")
        torch.save(payload, tmp)
        tmp.replace(file)
        file.with_suffix(".json").write_text(json.dumps({"name": name, **config}, indent=2, default=str))
    return history, False
