"""The one module that opens nbgrader gradebooks: forgetting a submission, reading its scores, the seed gradebook
every grading job starts from, and a submission's rows as plain data (exported by a job, imported by the engine,
the gradebook's single writer)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from .. import course


def open_gradebook(path: Path):
    """nbgrader's ``Gradebook`` on the SQLite file ``path`` (a context manager)."""
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{path}")


def forget_submission(workspace: course.Workspace, assignment: str, student: str, keep_submitted: bool = False) -> None:
    """Remove any earlier submission of ``student`` for ``assignment`` (gradebook and folders; the ``submitted``
    folder stays with ``keep_submitted``: it holds what nbgrader's collect wrote)."""
    from nbgrader.api import MissingEntry

    with open_gradebook(workspace.gradebook) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
    for base in (workspace.submitted, workspace.autograded, workspace.feedback):
        if not (keep_submitted and base == workspace.submitted):
            shutil.rmtree(base / student / assignment, ignore_errors=True)


def read_late_penalty(workspace: course.Workspace, assignment: str, student: str) -> float:
    """Points the late rule took from this submission (nbgrader's ``late_submission_penalty``; 0 when on time)."""
    with open_gradebook(workspace.gradebook) as gb:
        return float(sum(nb.late_submission_penalty or 0.0 for nb in gb.find_submission(assignment, student).notebooks))


def read_scores(workspace: course.Workspace, assignment: str, student: str) -> dict[str, float]:
    """Autograded points per grade cell, from the gradebook."""
    auto_ids = {c.grade_id for c in course.graded_cells(assignment) if c.autograded}
    with open_gradebook(workspace.gradebook) as gb:
        submission = gb.find_submission(assignment, student)
        scores = {}
        for nb in submission.notebooks:
            for grade in nb.grades:
                if grade.name in auto_ids:
                    scores[grade.name] = float(grade.auto_score or 0.0)
    return scores


_SEEDS: dict[tuple, bytes] = {}


def seed(assignments: list[str]) -> bytes:
    """A gradebook with ``assignments`` registered (source cells and hidden tests) and no student, as bytes.

    Kept for the life of the process, keyed by the source notebooks' contents: a second class graded with
    the same sources (the tests grade several) reuses it.
    """
    key = tuple((a, hashlib.sha1((course.SOLUTIONS / a / f"{a}.ipynb").read_bytes()).hexdigest()) for a in assignments)
    if key not in _SEEDS:
        with tempfile.TemporaryDirectory(prefix="seed-") as tmp:
            ws = course.Workspace(Path(tmp) / "ws")
            for assignment in assignments:
                course.generate(assignment, ws, Path(tmp) / "release")
            _SEEDS[key] = ws.gradebook.read_bytes()
    return _SEEDS[key]


def with_due_dates(seed_bytes: bytes, real: Path, assignments: list[str]) -> bytes:
    """``seed_bytes`` with the due dates the real gradebook ``real`` has for ``assignments`` (set by the instructor:
    ``nbgrader db assignment add ID --duedate ...`` or the formgrader), so that the private gradings compute late
    penalties as nbgrader would in the course's own gradebook. Unchanged when there are none."""
    from nbgrader.api import MissingEntry

    if not real.is_file():
        return seed_bytes
    with open_gradebook(real) as gb:
        due = {}
        for assignment in assignments:
            try:
                found = gb.find_assignment(assignment)
            except MissingEntry:
                continue
            if found.duedate is not None:
                due[assignment] = found.duedate
    if not due:
        return seed_bytes
    with tempfile.TemporaryDirectory(prefix="seed-due-") as tmp:
        path = Path(tmp) / "gradebook.db"
        path.write_bytes(seed_bytes)
        with open_gradebook(path) as gb:
            for assignment, duedate in due.items():
                gb.update_or_create_assignment(assignment, duedate=duedate)
        return path.read_bytes()


def export_rows(gradebook: Path, assignment: str, student: str) -> dict | None:
    """The gradebook rows of one submission (scores, comments, flags, timestamp) as plain data."""
    from nbgrader.api import MissingEntry

    with open_gradebook(gradebook) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        return {
            "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "notebooks": {
                nb.name: {
                    "flagged": bool(nb.flagged),
                    "late_submission_penalty": nb.late_submission_penalty,
                    "grades": {g.name: {"auto_score": g.auto_score, "manual_score": g.manual_score,
                                        "extra_credit": g.extra_credit, "needs_manual_grade": bool(g.needs_manual_grade)}
                               for g in nb.grades},
                    "comments": {c.name: {"auto_comment": c.auto_comment, "manual_comment": c.manual_comment}
                                 for c in nb.comments},
                }
                for nb in sub.notebooks
            },
        }


def import_rows(gradebook: Path, assignment: str, student: str, rows: dict) -> None:
    """Write one submission's rows (from :func:`export_rows`) into ``gradebook``, replacing any earlier one."""
    from datetime import datetime

    from nbgrader.api import MissingEntry

    with open_gradebook(gradebook) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
        gb.update_or_create_student(student)
        stamp = datetime.fromisoformat(rows["timestamp"]) if rows.get("timestamp") else None
        gb.add_submission(assignment, student, **({"timestamp": stamp} if stamp else {}))
        for nb_name, nb in rows["notebooks"].items():
            submitted = gb.find_submission_notebook(nb_name, assignment, student)
            submitted.flagged = nb["flagged"]
            submitted.late_submission_penalty = nb["late_submission_penalty"]
            for name, values in nb["grades"].items():
                g = gb.find_grade(name, nb_name, assignment, student)
                for key, value in values.items():
                    setattr(g, key, value)
            for name, values in nb["comments"].items():
                c = gb.find_comment(name, nb_name, assignment, student)
                for key, value in values.items():
                    setattr(c, key, value)
        gb.db.commit()
