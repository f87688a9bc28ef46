"""Every setting of the student side, read in one place: :func:`current` returns them as one typed object.

A notebook reads its settings from environment variables (so that ``COURSE_PROFILE=fast jupyter lab``, a CI job
or nbgrader can set them without touching code). This module is the only one that reads them; the others ask
:func:`current`, which reads the environment when called (cheap), so a change made in a running notebook
(``%env COURSE_PROFILE=fast``) takes effect at the next call instead of being frozen at import.

=========================  ===============================================================================
variable                   meaning
=========================  ===============================================================================
``COURSE_DATA_DIR``        the data root (data sets in their usual layouts; may be read-only)
``COURSE_CACHE_DIR``       where derived files go (encoded corpora, checkpoints, fast-profile results)
``COURSE_CHECKPOINTS``     ``0``: never reuse a cached checkpoint or derived file
``COURSE_PROFILE``         ``full`` or ``fast`` (default: full; fast under nbgrader)
``COURSE_RESULTS_DIR``     where ``results/<id>.json`` is written (default: the repository in the full profile)
``COURSE_REFERENCES_DIR``  where reference runs are read and written (default: ``course_utils/references``)
``COURSE_DEVICE``          force a torch device (``cpu``, ``cuda``, ``mps``)
``COURSE_PRECISION``       ``auto``, ``float32`` or ``bfloat16``
``COURSE_TRAIN_WORKERS``   how many runs train side by side (whole number >= 1)
``NBGRADER_EXECUTION``     set by nbgrader while it executes a notebook: *grading*
=========================  ===============================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser().resolve() if value else None


@dataclass(frozen=True)
class CourseSettings:
    """The student side's settings (see the module docstring); ``None`` / empty means "the default"."""

    data_dir: Path | None = None
    cache_dir: Path | None = None
    checkpoints: bool = True
    profile: str = ""
    results_dir: Path | None = None
    references_dir: Path | None = None
    device: str = ""
    precision: str = "auto"
    train_workers: str = ""
    grading: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "CourseSettings":
        env = os.environ if env is None else env
        return cls(
            data_dir=_path(env.get("COURSE_DATA_DIR")),
            cache_dir=_path(env.get("COURSE_CACHE_DIR")),
            checkpoints=env.get("COURSE_CHECKPOINTS", "").strip() != "0",
            profile=env.get("COURSE_PROFILE", "").strip().lower(),
            results_dir=Path(env["COURSE_RESULTS_DIR"]) if env.get("COURSE_RESULTS_DIR") else None,
            references_dir=Path(env["COURSE_REFERENCES_DIR"]) if env.get("COURSE_REFERENCES_DIR") else None,
            device=env.get("COURSE_DEVICE", "").strip(),
            precision=env.get("COURSE_PRECISION", "auto"),
            train_workers=env.get("COURSE_TRAIN_WORKERS", "").strip(),
            grading=bool(env.get("NBGRADER_EXECUTION")),
        )


def current() -> CourseSettings:
    """The settings now (read from the environment at this call)."""
    return CourseSettings.from_env()
