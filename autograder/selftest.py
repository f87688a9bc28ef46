"""Self-test: the solution earns every autograded point, the untouched release earns none.

This is the guarantee behind every grade cell: a test that passes on the stubbed release asserts
nothing the student must do, and a test that fails on the solution is wrong. Both are graded through the
same pipeline as a real submission, in a throw-away workspace.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import course

from .grading.outcomes import Outcome, STATUS_OK


@dataclass
class SelftestResult:
    assignment: str
    solution: Outcome
    release: Outcome
    problems: list[str]


def run(assignments: list[str] | None = None, jobs: int | None = None) -> list[SelftestResult]:
    """Grade the solution and the release of each assignment; collect what is wrong.

    One class of two students, "solution" and "release", graded by the one grading path
    (:func:`engine.grade_class_parallel`, ``jobs`` concurrent gradings, default one per core).
    """
    from .grading import engine

    wanted = assignments or course.assignments()
    tmp = Path(tempfile.mkdtemp(prefix="selftest-"))
    try:
        subs = tmp / "submissions"
        for assignment in wanted:
            for who, src in (("solution", course.SOLUTIONS), ("release", course.RELEASE)):
                dest = subs / who / assignment
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src / assignment / f"{assignment}.ipynb", dest / f"{assignment}.ipynb")
        graded, _ = engine.grade_class_parallel(subs, course.Workspace(tmp / "workspace"), wanted,
                                                    feedback=False, jobs=jobs, progress=False)
        by = {(o.student, o.assignment): o for o in graded}
        results = []
        for assignment in wanted:
            sol, rel_out = by[("solution", assignment)], by[("release", assignment)]
            problems = []
            if sol.status != STATUS_OK:
                problems.append(f"solution not graded: {sol.reason}")
            for cell in course.graded_cells(assignment):
                if not cell.autograded:
                    continue
                got = sol.cells.get(cell.grade_id, 0.0)
                if got != cell.points:
                    problems.append(f"solution earns {got:g}/{cell.points:g} in grade cell {cell.grade_id!r}")
                leaked = rel_out.cells.get(cell.grade_id, 0.0)
                if leaked:
                    problems.append(f"untouched release earns {leaked:g} in grade cell {cell.grade_id!r}")
            if rel_out.status != STATUS_OK:
                problems.append(f"release not graded: {rel_out.reason}")
            if not any(c.autograded for c in course.graded_cells(assignment)):
                problems.append("no autograded cell at all")
            results.append(SelftestResult(assignment, sol, rel_out, problems))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def report(results: list[SelftestResult]) -> str:
    lines = []
    for r in results:
        verdict = "ok" if not r.problems else "FAILED"
        lines.append(
            f"{r.assignment}: solution {r.solution.score:g}/{r.solution.max_score:g}, "
            f"release {r.release.score:g}/{r.release.max_score:g}  {verdict}"
        )
        lines += [f"    - {p}" for p in r.problems]
    return "\n".join(lines)
