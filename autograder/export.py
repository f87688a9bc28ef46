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

from .outcomes import STATUS_ERROR, STATUS_OK, STATUS_PROBLEM

FORMATS = ("csv", "canvas", "moodle")
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
PENDING = "manual grading unfinished: autograded points only so far"


def _points(value: float) -> str:
    return f"{value:g}"


def _table(workspace: course.Workspace, assignments: list[str] | None):
    wanted = classbook.graded_assignments(workspace, assignments)
    if not wanted:
        raise classbook.ClassbookError(f"no graded assignment in {workspace.root}")
    students = classbook.students(workspace)
    subs = {a: {s.student: s for s in classbook.submissions(workspace, a)} for a in wanted}
    return wanted, students, subs


def rows(workspace: course.Workspace, fmt: str, assignments: list[str] | None = None) -> tuple[list[list[str]], list[str]]:
    """(rows of the file including its header, notes for the instructor) for ``fmt`` in :data:`FORMATS`."""
    if fmt not in FORMATS:
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

    out: list[list[str]] = []
    if fmt == "csv":
        header = ["student", "first_name", "last_name", "email"]
        for a in wanted:
            header += [f"{a} auto", f"{a} manual", f"{a} total", f"{a} status"]
        header += ["total", "max_total", "notes"]
        out.append(header)
        for st in students:
            row = [st.id, st.first_name, st.last_name, st.email]
            total, pending = 0.0, []
            for a in wanted:
                sub = subs[a][st.id]
                row += [_points(sub.auto_score), _points(sub.manual_score), _points(sub.total), sub.status]
                total += sub.total
                if sub.manual_pending:
                    pending.append(a)
            row += [_points(total), _points(sum(maxima.values())),
                    f"{PENDING}: {', '.join(pending)}" if pending else ""]
            out.append(row)
    elif fmt == "canvas":
        out.append(CANVAS_FIXED + wanted)
        out.append(["Points Possible", "", "", "", ""] + [_points(maxima[a]) for a in wanted])
        for st in students:
            out.append([st.display_name, st.lms_user_id, st.id, st.id, ""]
                       + [_points(subs[a][st.id].total) for a in wanted])
    else:  # moodle
        header = ["username"]
        for a in wanted:
            header += [a, f"{a} feedback"]
        out.append(header)
        for st in students:
            row = [st.id]
            for a in wanted:
                sub = subs[a][st.id]
                feedback = PENDING if sub.manual_pending else (sub.reason if sub.status != STATUS_OK else "")
                row += [_points(sub.total), feedback]
            out.append(row)
    return out, notes


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
