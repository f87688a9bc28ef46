"""nbgrader preprocessors added by the course (one per file, as in nbgrader's own package)."""

from .demote_stderr import DemoteStderr
from .sandboxed_execute import SandboxedExecute, SandboxedKernelManager
from .hide_hidden_tests import HideHiddenTests
from .mark_grade_cells import MarkGradeCells
from .restore_missing_cells import RestoreMissingCells

__all__ = ["DemoteStderr", "HideHiddenTests", "MarkGradeCells", "RestoreMissingCells", "SandboxedExecute",
           "SandboxedKernelManager"]
