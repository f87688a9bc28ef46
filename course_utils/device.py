"""Device choice: the GPU when one is present, the CPU otherwise.

``COURSE_DEVICE`` overrides the choice (for example ``cpu`` to compare timings on a GPU machine).
"""

from __future__ import annotations

import os
import platform


def get_device():
    """Return the ``torch.device`` the notebooks train on."""
    import torch

    forced = os.environ.get("COURSE_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_machine() -> str:
    """A short description of the machine, recorded next to every result."""
    import torch

    cpu = platform.processor() or platform.machine()
    parts = [f"{platform.system()} {platform.machine()}", f"{os.cpu_count()} cpu cores", cpu]
    if torch.cuda.is_available():
        parts.append(f"GPU {torch.cuda.get_device_name(0)}")
    else:
        parts.append("no GPU")
    return ", ".join(p for p in parts if p)
