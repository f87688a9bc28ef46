"""nbgrader preprocessors added by the course (one per file, as in nbgrader's own package)."""

from .demote_stderr import DemoteStderr
from .sandboxed_execute import SandboxedExecute, SandboxedKernelManager
from .hide_hidden_tests import HideHiddenTests
from .mark_grade_cells import MarkGradeCells

__all__ = ["DemoteStderr", "HideHiddenTests", "MarkGradeCells", "SandboxedExecute", "SandboxedKernelManager"]
