"""The grading kernel: the IPython kernel the autograder runs each submission in (``python -m grading_kernel``).

It is the grader's, not the student's: it lives beside ``course_utils`` (what students import) and ``autograder``
(the instructor's tools), is bound read-only into the sandbox with them, and is not part of the student bundle.

- :mod:`.kernel`: ipykernel's kernel that snapshots the pristine state at start and restores it before every cell
  that starts with :data:`GRADE_CELL_MARKER` (the autograder's ``MarkGradeCells`` adds it to test cells);
- :mod:`.guard`: what is snapshotted and restored (builtins, the modules the tests use, the check helpers' code,
  hooks, IPython's transformers).
"""

from .kernel import GRADE_CELL_MARKER

__all__ = ["GRADE_CELL_MARKER"]
