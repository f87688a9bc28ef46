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
"""

from __future__ import annotations

import os
from typing import Literal, TypeVar

Profile = Literal["full", "fast"]
PROFILES: tuple[str, ...] = ("full", "fast")
T = TypeVar("T")


def get_profile() -> Profile:
    """Return the active profile, read from the environment on every call."""
    value = os.environ.get("COURSE_PROFILE", "").strip().lower()
    if value:
        if value not in PROFILES:
            raise ValueError(
                f"COURSE_PROFILE must be one of {PROFILES}, got {value!r}. "
                "Unset it to get the default ('full', or 'fast' under nbgrader)."
            )
        return value  # type: ignore[return-value]
    if os.environ.get("NBGRADER_EXECUTION"):
        return "fast"
    return "full"


def is_fast() -> bool:
    """True when the ``fast`` profile is active."""
    return get_profile() == "fast"


def pick(*, full: T, fast: T) -> T:
    """Return ``full`` or ``fast`` according to the active profile.

    The single place where a notebook states a budget for both profiles.
    """
    return fast if is_fast() else full


def describe() -> str:
    """One line for a notebook's first output: which profile runs and why."""
    prof = get_profile()
    if os.environ.get("COURSE_PROFILE"):
        why = "COURSE_PROFILE is set"
    elif os.environ.get("NBGRADER_EXECUTION"):
        why = "nbgrader is executing this notebook"
    else:
        why = "default"
    return f"run profile: {prof} ({why})"
