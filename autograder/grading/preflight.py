"""Checks a submitted notebook must pass before a kernel is started for it.

Each failure is a one-line reason for the grade report; the submission then scores 0 autograded points,
deterministically, and the rest of the class is graded as usual.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024  # a course notebook with its plots is well under 5 MB
# nbgrader's files beside a collected notebook: the submission time (late penalties, the formgrader's timestamp,
# release_feedback) and the secret that ties feedback to the submission. They travel with the notebook.
SUBMISSION_METADATA = ("timestamp.txt", "submission_secret.txt")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


@dataclass(frozen=True)
class Preflight:
    """The notebook to grade (or None) and, when there is a problem or a note, a one-line reason."""

    notebook: Path | None
    reason: str = ""


def valid_student_id(name: str) -> bool:
    return bool(STUDENT_ID.match(name))


def find_notebook(folder: Path, assignment: str) -> Preflight:
    """Locate ``<assignment>.ipynb`` in a student's assignment folder (or one renamed copy of it)."""
    if not folder.is_dir():
        return Preflight(None, f"nothing submitted for {assignment}")
    expected = folder / f"{assignment}.ipynb"
    if expected.is_file():
        return Preflight(expected)
    candidates = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(candidates) == 1:
        return Preflight(candidates[0], f"graded {candidates[0].name!r} in place of {expected.name!r} (renamed)")
    if not candidates:
        return Preflight(None, f"missing notebook {expected.name}")
    names = ", ".join(p.name for p in candidates[:5])
    return Preflight(None, f"missing notebook {expected.name}; several other notebooks found ({names}), none graded")


def check_notebook(path: Path) -> str:
    """Return '' when ``path`` is a readable nbformat-4 notebook, else a one-line reason."""
    size = path.stat().st_size
    if size == 0:
        return "empty file (0 bytes)"
    if size > MAX_NOTEBOOK_BYTES:
        return f"file too large ({size / 1e6:.0f} MB > {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB limit)"
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"not a text file (not UTF-8: {exc.reason} at byte {exc.start})"
    except json.JSONDecodeError as exc:
        return f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(raw, dict) or "nbformat" not in raw:
        return "JSON, but not a notebook (no 'nbformat' version)"
    major = raw.get("nbformat")
    if major != 4:
        return f"notebook format version {major!r} is not supported (expected 4)"
    if not isinstance(raw.get("cells"), list):
        return "JSON, but not a notebook (no 'cells' list)"
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types; the message is what matters
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"invalid notebook structure ({first[:160]})"
    return ""


def _cell_ids(nb) -> set[str]:
    """The ids of the answer and test cells (read-only cells have generic ids such as 'setup' or 'md-01')."""
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if isinstance(c.metadata.get("nbgrader"), dict) and c.metadata["nbgrader"].get("grade_id")
            and (c.metadata["nbgrader"].get("solution") or c.metadata["nbgrader"].get("grade"))}


def check_assignment(path: Path, assignment: str) -> str:
    """Return '' unless ``path`` (a valid notebook) is plainly not ``assignment``'s: at least half of its answer and
    test cell ids are not ``assignment``'s; then a one-line reason, naming the assignment it belongs to when that one
    is known. A student's notebook that lost its test cells keeps its answer cells' ids, so it is not refused here."""
    from .. import course

    def ids_of(a: str) -> set[str]:
        return _cell_ids(nbformat.read(course.SOLUTIONS / a / f"{a}.ipynb", as_version=4))

    ids = _cell_ids(nbformat.read(path, as_version=4))
    own = len(ids & ids_of(assignment))
    if not ids or own * 2 > len(ids):  # a cell id or two may be shared between assignments ("answer_compare")
        return ""
    # which assignment it is, where the others are known (a Gradescope zip holds one assignment's source only)
    overlap = {a: len(ids & ids_of(a)) for a in course.assignments()
               if a != assignment and (course.SOLUTIONS / a / f"{a}.ipynb").is_file()}
    best = max(overlap, key=overlap.get) if overlap and max(overlap.values()) > own else None
    return (f"this is the notebook of {best}, not of {assignment}" if best else
            f"this is not a notebook of {assignment} ({len(ids) - own} of its {len(ids)} answer and test cells are "
            f"not {assignment}'s)") + f"; submit {assignment}.ipynb"
