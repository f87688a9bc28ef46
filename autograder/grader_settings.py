"""The grader's limits, time-outs and workspace, typed and documented, read in one place.

=============================  ========  =======================================================================
setting                        default   what it limits
=============================  ========  =======================================================================
``COURSE_CELL_TIMEOUT``        120 s     one cell's run; past it the kernel is interrupted, the cell scores 0
``COURSE_NOTEBOOK_TIMEOUT``    600 s     one notebook's whole grading (kernel start, every cell, feedback);
                                         past it the worker and its kernel are killed, the notebook scores 0
``COURSE_GRADING_DIR``         ``auto    the grading workspace: nbgrader's submitted, autograded and feedback
                               grader/`` folders, the gradebook, the grade CSV, the ledger, the reports. The course
                                         spec fixes ``autograder/`` (git-ignored there); point this elsewhere to
                                         keep a class's state apart from the checkout (a folder of its own per class)
``COURSE_ID``                  ``deep-   nbgrader's course id (gradebook, exchange, the hub's ``formgrade-<id>`` and
                               learning- ``nbgrader-<id>`` groups): one course, whichever tool opens the gradebook
                               course-
                               kit``
``COURSE_EXCHANGE_DIR``        unset     nbgrader's exchange root (``Exchange.root``; nbgrader's default
                                         ``/srv/nbgrader/exchange`` when unset)
``COURSE_LATE_PENALTY_PER_DAY`` 0        share of the score taken per started day late (:mod:`autograder.late`),
``COURSE_LATE_PENALTY_MAX``    1         capped at this share; in ``grade``, the formgrader and Gradescope alike
``COURSE_GRADE_EXPOSED``       unset     ``1``: grade even where the sandbox cannot hide the solutions from student
                                         code (no working bubblewrap, and a hidden path the kernel's uid can read:
                                         :func:`autograder.grading.sandbox.exposed`). Without it such a run refuses
                                         to start and says which path is exposed. Never for feedback students see
kernel limits                  see       memory, processes, file size, CPU seconds of one sandboxed kernel:
(``nbgrader_config.py``,       :class:`  ``c.SandboxedKernelManager.memory_bytes`` and so on in the course's
``SandboxedKernelManager``)    sandbox.  configuration, else :class:`autograder.grading.sandbox.Limits`' defaults
                               Limits`
=============================  ========  =======================================================================

:func:`current` reads the time-outs from the environment when called (a test or a batch may set them for one
run); :func:`kernel_limits` reads the course configuration. The grade report and ``sandbox.describe`` show the
values in force, not the defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from . import course
from .grading.sandbox import Limits


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of seconds >= 1, got {value!r}")
    return int(value)


def _share(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ValueError(f"{name} is a share of the score between 0 and 1, got {value!r}")
    return share


def valid_course_id(value: str) -> str:
    """``value`` if it is a valid nbgrader course id (also a Unix group name suffix), else ``ValueError``."""
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value):
        raise ValueError(f"COURSE_ID must be letters, digits, '-', '_' or '.', got {value!r}")
    return value


def default_workspace_dir() -> Path:
    """Where grading keeps its state unless ``COURSE_GRADING_DIR`` says otherwise: ``autograder/``, as the course
    specification's layout fixes (its working folders and gradebook are git-ignored)."""
    return course.ROOT / "autograder"


@dataclass(frozen=True)
class GraderSettings:
    """The grading time-outs and the workspace (see the module docstring)."""

    cell_timeout_s: int = 120
    notebook_timeout_s: int = 600
    workspace_dir: Path = field(default_factory=default_workspace_dir)
    grade_exposed: bool = False
    course_id: str = "deep-learning-course-kit"
    exchange_dir: Path | None = None
    late_penalty_per_day: float = 0.0
    late_penalty_max: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "GraderSettings":
        env = os.environ if env is None else env
        grading_dir = env.get("COURSE_GRADING_DIR", "").strip()
        return cls(cell_timeout_s=_seconds(env, "COURSE_CELL_TIMEOUT", cls.cell_timeout_s),
                   notebook_timeout_s=_seconds(env, "COURSE_NOTEBOOK_TIMEOUT", cls.notebook_timeout_s),
                   workspace_dir=Path(grading_dir).expanduser().resolve() if grading_dir else default_workspace_dir(),
                   grade_exposed=env.get("COURSE_GRADE_EXPOSED", "").strip() == "1",
                   course_id=valid_course_id(env.get("COURSE_ID", "").strip() or cls.course_id),
                   exchange_dir=Path(env["COURSE_EXCHANGE_DIR"]).expanduser().resolve()
                   if env.get("COURSE_EXCHANGE_DIR", "").strip() else None,
                   late_penalty_per_day=_share(env, "COURSE_LATE_PENALTY_PER_DAY", cls.late_penalty_per_day),
                   late_penalty_max=_share(env, "COURSE_LATE_PENALTY_MAX", cls.late_penalty_max))


def current() -> GraderSettings:
    """The settings now (read from the environment at this call)."""
    return GraderSettings.from_env()


def workspace() -> course.Workspace:
    """The grading workspace in force: ``COURSE_GRADING_DIR``, else :func:`default_workspace_dir`."""
    return course.Workspace(current().workspace_dir)


def kernel_limits() -> Limits:
    """The sandbox limits the grading kernels get: ``SandboxedKernelManager``'s values in the course configuration
    (``nbgrader_config.py``), else the built-in ones of :class:`autograder.grading.sandbox.Limits`."""
    configured = course.load_config().get("SandboxedKernelManager", {})
    default = Limits()
    return Limits(**{name: int(configured.get(name, getattr(default, name)))
                     for name in ("memory_bytes", "processes", "file_bytes", "cpu_seconds")},
                  open_files=default.open_files)
