"""The graded class as data: what ``report`` and ``export`` read, from the gradebook and the grading ledger.

The gradebook (nbgrader's SQLite database) is the record of points: autograded and manual, cell by cell.
It holds only submissions that were graded; the workspace's ledger (:func:`autograder.grading.outcomes.read_ledger`)
adds the submissions that were not (with the reason) and the time each grading took. Nothing here writes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import course, grader_settings
from .grading import gradebook

from .grading.outcomes import LEDGER, STATUS_ABSENT, STATUS_OK, read_ledger


class ClassbookError(ValueError):
    """A request that cannot be answered (no gradebook, unknown assignment); its text is the one-line error."""


@dataclass(frozen=True)
class TestCell:
    """One autograded test cell of an assignment, as its source notebook defines it."""

    grade_id: str
    points: float
    description: str  # the first line of the cell's docstring
    hidden: bool  # the cell has a hidden-tests region


@dataclass
class Submission:
    """One student's notebook for one assignment, as graded."""

    student: str
    assignment: str
    status: str  # grade.STATUS_*
    reason: str
    seconds: float | None  # grading time (None when the ledger does not know it)
    auto_score: float
    manual_score: float
    manual_graded: int  # manually graded cells with a score
    manual_cells: int  # manually graded cells in the assignment
    cells: dict[str, float] = field(default_factory=dict)  # autograded points per test cell
    late_penalty: float = 0.0  # points the course's late rule took (nbgrader's late_submission_penalty)

    @property
    def total(self) -> float:
        """The points that count: autograded and manual, less the late penalty."""
        return max(0.0, self.auto_score + self.manual_score - self.late_penalty)

    @property
    def manual_pending(self) -> bool:
        return self.status == STATUS_OK and self.manual_graded < self.manual_cells


@dataclass
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""

    @property
    def display_name(self) -> str:
        """``Last, First`` (as LMS gradebooks list students), else the student id."""
        if self.last_name or self.first_name:
            return ", ".join(x for x in (self.last_name, self.first_name) if x)
        return self.id


def _first_docstring_line(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    doc = ast.get_docstring(tree) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def test_cells(assignment: str) -> list[TestCell]:
    """The autograded test cells of ``solutions/<assignment>/``, in notebook order."""
    nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code" and not meta.get("solution"):
            cells.append(TestCell(meta["grade_id"], float(meta.get("points", 0)), _first_docstring_line(cell.source),
                                  "BEGIN HIDDEN TESTS" in cell.source))
    return cells


def _check_workspace(workspace: course.Workspace) -> None:
    if not workspace.gradebook.is_file() and not (workspace.root / LEDGER).is_file():
        raise ClassbookError(f"no graded class in {workspace.root}: run `python -m autograder grade SUBMISSIONS` first")


def graded_assignments(workspace: course.Workspace, wanted: list[str] | None = None) -> list[str]:
    """Assignments with at least one recorded grading, or ``wanted`` after checking each id is known."""
    _check_workspace(workspace)
    known = course.assignments()
    if wanted:
        unknown = [a for a in wanted if a not in known]
        if unknown:
            raise ClassbookError(f"unknown assignment {', '.join(unknown)}; known: {', '.join(known)}")
        return list(wanted)
    seen = {a for _, a in read_ledger(workspace)}
    if workspace.gradebook.is_file():
        with gradebook.open_gradebook(workspace.gradebook) as gb:
            seen |= {a.name for a in gb.assignments if a.submissions}
    return [a for a in known if a in seen]


def students(workspace: course.Workspace) -> list[Student]:
    """Every student the gradebook or the ledger knows, sorted by id, with the gradebook's names and LMS ids."""
    _check_workspace(workspace)
    found = {s: Student(s) for s, _ in read_ledger(workspace)}
    if workspace.gradebook.is_file():
        with gradebook.open_gradebook(workspace.gradebook) as gb:
            for st in gb.students:
                found[st.id] = Student(st.id, st.first_name or "", st.last_name or "", st.email or "",
                                       st.lms_user_id or "")
    return [found[k] for k in sorted(found)]


def submissions(workspace: course.Workspace, assignment: str) -> list[Submission]:
    """One :class:`Submission` per student known to the class, for ``assignment``, sorted by student.

    Points come from the gradebook; a submission that is not in it is taken from the ledger (scored 0, with
    its reason), or reported as absent when neither has it."""
    _check_workspace(workspace)
    auto_ids = {c.grade_id for c in course.graded_cells(assignment) if c.autograded}
    manual_cells = sum(1 for c in course.graded_cells(assignment) if not c.autograded)
    ledger = read_ledger(workspace)
    in_gradebook: dict[str, Submission] = {}
    if workspace.gradebook.is_file():
        with gradebook.open_gradebook(workspace.gradebook) as gb:
            try:
                subs = gb.find_assignment(assignment).submissions
            except Exception:  # the assignment was never registered in this gradebook
                subs = []
            for sub in subs:
                cells: dict[str, float] = {}
                manual, graded = 0.0, 0
                for nb in sub.notebooks:
                    for g in nb.grades:
                        if g.name in auto_ids:
                            # a manual override of an autograded cell counts as that cell's points
                            cells[g.name] = float(g.manual_score if g.manual_score is not None else g.auto_score or 0)
                        else:
                            if g.manual_score is not None:
                                manual += float(g.manual_score)
                                graded += 1
                led = ledger.get((sub.student_id, assignment))
                in_gradebook[sub.student_id] = Submission(
                    sub.student_id, assignment, STATUS_OK, led.reason if led else "", led.seconds if led else None,
                    float(sum(cells.values())), manual, graded, manual_cells, cells,
                    float(sub.late_submission_penalty or 0.0))
    result = []
    for st in students(workspace):
        if st.id in in_gradebook:
            result.append(in_gradebook[st.id])
            continue
        led = ledger.get((st.id, assignment))
        if led is not None and led.status != STATUS_OK:
            result.append(Submission(st.id, assignment, led.status, led.reason, led.seconds, 0.0, 0.0, 0, manual_cells))
        else:
            result.append(Submission(st.id, assignment, STATUS_ABSENT, "nothing submitted", None, 0.0, 0.0, 0,
                                     manual_cells))
    return result


def failure_messages(workspace: course.Workspace, assignment: str, student: str) -> dict[str, str]:
    """``{grade_id: "ErrorName: first line of the message"}`` for the autograded test cells that failed in a
    student's autograded notebook (empty when there is none); other cells' errors are not test failures."""
    tests = {c.grade_id for c in test_cells(assignment)}
    path = workspace.autograded / student / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        return {}
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return {}
    found = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid not in tests or cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = (str(out.get("evalue", "")).strip().splitlines() or [""])[0]
                found[gid] = f"{out.get('ename', 'Error')}: {first}".rstrip(": ")
    return found


def workspace_for(path: str | Path | None) -> course.Workspace:
    """The workspace at ``path`` (default: the instructor's, :func:`autograder.grader_settings.workspace`)."""
    return course.Workspace(Path(path).resolve()) if path else grader_settings.workspace()
