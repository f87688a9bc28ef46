"""The course's late-work rule, one rule for every route a grade takes.

A share of the score per started day late, capped: ``kept = 1 - min(max, per_day x ceil(days late))``. It is
configured once, in the grader's settings (``COURSE_LATE_PENALTY_PER_DAY``, ``COURSE_LATE_PENALTY_MAX``:
:mod:`autograder.grader_settings`), and applied

- by nbgrader, wherever it autogrades with the kit's configuration (``python -m autograder grade``, the formgrader,
  the ``nbgrader`` command line): :class:`PerDayLatePenalty` is the ``LateSubmissionPlugin`` of nbgrader's
  ``AssignLatePenalties``, which reads the submission's ``timestamp.txt`` and the assignment's due date from the
  gradebook;
- on Gradescope, where the submission time and due date come from ``submission_metadata.json`` and the rule
  travels in the zip's ``gradescope.json`` (:func:`autograder.deploy.gradescope.build_zip` writes the course's values).
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


def fraction_kept(days_late: float, per_day: float, cap: float) -> float:
    """The share of the score kept ``days_late`` days after the due date (0 or less: all of it)."""
    return 1.0 - min(cap, per_day * math.ceil(days_late)) if days_late > 0 else 1.0


class PerDayLatePenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin with the course's rule: the penalty, in points, is the score times the
    share :func:`fraction_kept` takes."""

    per_day = Float(0.0, help="share of the score taken per started day late (0: no penalty)").tag(config=True)
    max_fraction = Float(1.0, help="largest share taken").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        if total_seconds_late <= 0 or self.per_day <= 0:
            return None
        # rounded: 10 points at 10 % are 1 point taken, not 0.9999999999999998
        return round(score * (1.0 - fraction_kept(total_seconds_late / 86400, self.per_day, self.max_fraction)), 9)
