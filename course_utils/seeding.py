"""Seeding: one call fixes python's, numpy's and torch's random state.

Results in the notebooks are meant to be reproducible on the same machine; bit-exact equality across
CPU and GPU is not promised (cuDNN kernels differ), only the same seeds.
"""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int = 0) -> int:
    """Seed ``random``, ``numpy`` and ``torch`` (CPU and every GPU). Returns the seed."""
    import torch

    os.environ["PYTHONHASHSEED"] = str(seed)  # only affects child processes, recorded for them
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def torch_generator(seed: int = 0):
    """A fresh ``torch.Generator`` on the CPU, for samplers that must not touch the global state."""
    import torch

    return torch.Generator().manual_seed(seed)
