"""The run profile: how much work a notebook does.

``full`` (the default when a student runs a notebook) uses real budgets; ``fast`` runs the same code
on small subsets and few steps so that CI and the autograder finish in minutes on two CPU cores.

The profile is chosen in exactly one place, the environment:

- ``COURSE_PROFILE=full|fast`` wins when set;
- otherwise nbgrader's execution (it sets ``NBGRADER_EXECUTION`` in the kernel's environment while it
  validates or autogrades) implies ``fast``;
- otherwise ``full``.

Notebooks never hard-code an epoch count twice; they ask :func:`pick`::

    EPOCHS = profile.pick(full=20, fast=1)
    STEPS = profile.pick(full=3_000, fast=10, gpu=30_000)

``gpu=`` is the budget of the full profile on a CUDA GPU (:func:`course_utils.device.get_device`), where
the same minutes buy many more steps; without it a GPU runs the ``full`` budget. The ``fast`` profile
is the same everywhere (CI and grading must not depend on the hardware).
"""

from __future__ import annotations

from typing import Literal, TypeVar

from . import settings

Profile = Literal["full", "fast"]
PROFILES: tuple[str, ...] = ("full", "fast")
T = TypeVar("T")


def get_profile() -> Profile:
    """Return the active profile, read from the environment on every call."""
    now = settings.current()
    value = now.profile
    if value:
        if value not in PROFILES:
            raise ValueError(
                f"COURSE_PROFILE must be one of {PROFILES}, got {value!r}. "
                "Unset it to get the default ('full', or 'fast' under nbgrader)."
            )
        return value  # type: ignore[return-value]
    if now.grading:
        return "fast"
    return "full"


def is_fast() -> bool:
    """True when the ``fast`` profile is active."""
    return get_profile() == "fast"


_UNSET: object = object()


def pick(*, full: T, fast: T, gpu: T = _UNSET) -> T:  # type: ignore[assignment]
    """Return ``fast`` in the fast profile; in the full profile ``gpu`` when given and the notebooks train
    on a CUDA GPU, else ``full``.

    The single place where a notebook states a budget for every profile.
    """
    if is_fast():
        return fast
    if gpu is not _UNSET and on_cuda_gpu():
        return gpu
    return full


def on_cuda_gpu() -> bool:
    """Whether the notebooks train on a CUDA GPU (the device module decides; ``COURSE_DEVICE=cpu`` says no)."""
    from .device import get_device

    return get_device().type == "cuda"


def describe() -> str:
    """One line for a notebook's first output: which profile runs and why."""
    prof, now = get_profile(), settings.current()
    if now.profile:
        why = "COURSE_PROFILE is set"
    elif now.grading:
        why = "nbgrader is executing this notebook"
    else:
        why = "default"
    budget = ", GPU budgets where a notebook states them" if prof == "full" and on_cuda_gpu() else ""
    return f"run profile: {prof} ({why}){budget}"
