"""Generating the student release (``notebooks/``) from the solutions, and checking it is in sync.

The release is nbgrader's ``generate_assignment`` output and nothing else: solution regions become
``raise NotImplementedError()`` stubs, hidden tests are removed, outputs cleared, checksums added.
``--check`` regenerates into a temporary folder and compares notebook by notebook, so a hand edit of
``notebooks/`` or a forgotten re-release fails loudly.
"""

from __future__ import annotations

import filecmp
import json
import tempfile
from pathlib import Path

from . import course


def release(assignments: list[str] | None = None) -> list[Path]:
    """Regenerate ``notebooks/<id>/`` for the given (default: all) assignments."""
    written = []
    with tempfile.TemporaryDirectory(prefix="release-db-") as tmp:
        ws = course.Workspace(Path(tmp))
        for assignment in assignments or course.assignments():
            course.generate(assignment, ws, course.RELEASE)
            written.append(course.RELEASE / assignment / f"{assignment}.ipynb")
    return written


def _notebook_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def check(assignments: list[str] | None = None) -> list[str]:
    """Differences between ``notebooks/`` and a fresh release; an empty list means in sync."""
    problems: list[str] = []
    wanted = assignments or course.assignments()
    if assignments is None:
        released = sorted(p.name for p in course.RELEASE.iterdir() if p.is_dir()) if course.RELEASE.is_dir() else []
        for extra in sorted(set(released) - set(wanted)):
            problems.append(f"notebooks/{extra}/ has no source in solutions/ (delete it or add the solution)")
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        fresh_root = Path(tmp) / "release"
        ws = course.Workspace(Path(tmp) / "ws")
        for assignment in wanted:
            course.generate(assignment, ws, fresh_root)
            fresh_dir, committed_dir = fresh_root / assignment, course.RELEASE / assignment
            if not committed_dir.is_dir():
                problems.append(f"notebooks/{assignment}/ is missing: run `python -m autograder release`")
                continue
            cmp = filecmp.dircmp(fresh_dir, committed_dir, ignore=[".ipynb_checkpoints", "__pycache__"])
            for name in cmp.left_only:
                problems.append(f"notebooks/{assignment}/{name} is missing from the release")
            for name in cmp.right_only:
                problems.append(f"notebooks/{assignment}/{name} is not generated from solutions/")
            for name in cmp.common_files:
                a, b = fresh_dir / name, committed_dir / name
                same = _notebook_json(a) == _notebook_json(b) if name.endswith(".ipynb") else filecmp.cmp(a, b, shallow=False)
                if not same:
                    problems.append(
                        f"notebooks/{assignment}/{name} differs from what solutions/ generates: "
                        "edit solutions/, then run `python -m autograder release`"
                    )
    return problems
