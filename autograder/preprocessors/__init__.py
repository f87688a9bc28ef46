"""nbgrader preprocessors added by the course (one per file, as in nbgrader's own package)."""

from .demote_stderr import DemoteStderr
from .sandboxed_execute import SandboxedExecute, SandboxedKernelManager
from .hide_hidden_tests import HideHiddenTests

__all__ = ["DemoteStderr", "HideHiddenTests", "SandboxedExecute", "SandboxedKernelManager"]
