"""nbgrader preprocessors added by the course (one per file, as in nbgrader's own package)."""

from .demote_stderr import DemoteStderr
from .drop_instructor_cells import DropInstructorCells
from .sandboxed_execute import SandboxedExecute, SandboxedKernelManager
from .hide_hidden_tests import HideHiddenTests
from .mark_grade_cells import MarkGradeCells
from .restore_missing_cells import RestoreMissingCells

__all__ = ["DemoteStderr", "DropInstructorCells", "HideHiddenTests", "MarkGradeCells", "RestoreMissingCells", "SandboxedExecute",
           "SandboxedKernelManager"]
