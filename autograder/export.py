"""``python -m autograder export``: the class's grades as a plain CSV, or as a Canvas or Moodle import file.

Points are autograded plus manual, from the gradebook (:mod:`autograder.classbook`). A submission whose
manual grading is unfinished carries only its points so far: the plain CSV says so in its ``notes`` column,
Moodle's file in the assignment's feedback column, and every format in a note on stderr, since Canvas
would read any extra column as a new assignment.

Layouts (as the LMSs document their import files):

- **Canvas** gradebook import: a header ``Student, ID, SIS User ID, SIS Login ID, Section``, then one
  column per assignment; a second row ``Points Possible`` (as Canvas's own exports have) with each
  assignment's maximum. Canvas matches rows by ``ID`` (its user id), ``SIS User ID`` or ``SIS Login ID``;
  this file fills ``ID`` from the gradebook's ``lms_user_id`` (``nbgrader db student add --lms-user-id``)
  and both SIS columns from the nbgrader student id. A column without an ``(id)`` suffix creates a new
  assignment on import.
- **Moodle** grade import (CSV): one identifier column (``username``: the nbgrader student id, mapped on
  import to Moodle's *Username* field) then one column per grade item, and a feedback column per item.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from . import classbook, course

from .grading.outcomes import STATUS_ERROR, STATUS_OK, STATUS_PROBLEM

CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
PENDING = "manual grading unfinished: autograded points only so far"


def _points(value: float) -> str:
    return f"{value:g}"


class Export:
    """One file layout (nbgrader's export plugin pattern): :meth:`table` turns the class's grades into rows.

    ``assignments`` are the graded ones, ``students`` the gradebook's, ``subs[assignment][student]`` their
    :class:`~autograder.classbook.Submission`, ``maxima[assignment]`` the points possible."""

    name = ""

    def table(self, assignments: list[str], students: list, subs: dict, maxima: dict[str, float]) -> list[list[str]]:
        raise NotImplementedError


class PlainCsv(Export):
    """Every assignment's auto, manual and total points and status; the class total; a note where manual grading
    is unfinished."""

    name = "csv"

    def table(self, assignments, students, subs, maxima):
        header = ["student", "first_name", "last_name", "email"]
        for a in assignments:
            header += [f"{a} auto", f"{a} manual", f"{a} total", f"{a} status"]
        out = [header + ["total", "max_total", "notes"]]
        for st in students:
            row = [st.id, st.first_name, st.last_name, st.email]
            for a in assignments:
                sub = subs[a][st.id]
                row += [_points(sub.auto_score), _points(sub.manual_score), _points(sub.total), sub.status]
            pending = [a for a in assignments if subs[a][st.id].manual_pending]
            row += [_points(sum(subs[a][st.id].total for a in assignments)), _points(sum(maxima.values())),
                    f"{PENDING}: {', '.join(pending)}" if pending else ""]
            out.append(row)
        return out


class CanvasCsv(Export):
    """Canvas's gradebook import: its five fixed columns, a ``Points Possible`` row, one column per assignment."""

    name = "canvas"

    def table(self, assignments, students, subs, maxima):
        out = [CANVAS_FIXED + assignments, ["Points Possible", "", "", "", ""] + [_points(maxima[a]) for a in assignments]]
        out += [[st.display_name, st.lms_user_id, st.id, st.id, ""] + [_points(subs[a][st.id].total) for a in assignments]
                for st in students]
        return out


class MoodleCsv(Export):
    """Moodle's grade import: ``username``, then per grade item its points and a feedback column."""

    name = "moodle"

    def table(self, assignments, students, subs, maxima):
        out = [["username"] + [c for a in assignments for c in (a, f"{a} feedback")]]
        for st in students:
            row = [st.id]
            for a in assignments:
                sub = subs[a][st.id]
                row += [_points(sub.total), PENDING if sub.manual_pending else (sub.reason if sub.status != STATUS_OK else "")]
            out.append(row)
        return out


EXPORTS: dict[str, Export] = {e.name: e for e in (PlainCsv(), CanvasCsv(), MoodleCsv())}
FORMATS = tuple(EXPORTS)


def _table(workspace: course.Workspace, assignments: list[str] | None):
    wanted = classbook.graded_assignments(workspace, assignments)
    if not wanted:
        raise classbook.ClassbookError(f"no graded assignment in {workspace.root}")
    students = classbook.students(workspace)
    subs = {a: {s.student: s for s in classbook.submissions(workspace, a)} for a in wanted}
    return wanted, students, subs


def rows(workspace: course.Workspace, fmt: str, assignments: list[str] | None = None) -> tuple[list[list[str]], list[str]]:
    """(rows of the file including its header, notes for the instructor) for ``fmt`` in :data:`FORMATS`."""
    if fmt not in EXPORTS:
        raise classbook.ClassbookError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    wanted, students, subs = _table(workspace, assignments)
    maxima = {a: sum(course.max_points(a)) for a in wanted}
    notes = []
    for a in wanted:
        pending = sorted(s for s, sub in subs[a].items() if sub.manual_pending)
        if pending:
            notes.append(f"{a}: manual grading unfinished for {len(pending)} of {len(subs[a])} students "
                         f"({', '.join(pending)}); their points are autograded only")
        failed = sorted(s for s, sub in subs[a].items() if sub.status in (STATUS_ERROR, STATUS_PROBLEM))
        if failed:
            notes.append(f"{a}: {len(failed)} submissions could not be graded and are exported as 0 ({', '.join(failed)})")
    return EXPORTS[fmt].table(wanted, students, subs, maxima), notes


def write(workspace: course.Workspace, fmt: str, out: Path | None, assignments: list[str] | None = None) -> list[str]:
    """Write the export to ``out`` (stdout when ``None``); returns the notes."""
    table, notes = rows(workspace, fmt, assignments)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    if out is None:
        sys.stdout.write(buf.getvalue())
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(buf.getvalue(), encoding="utf-8")
        tmp.replace(out)
    return notes
