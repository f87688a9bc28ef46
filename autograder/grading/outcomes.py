"""What grading produces: one :class:`Outcome` per (student, assignment), its status, the ledger of gradings, and the
grade table and CSV made from outcomes. No grading happens here; every other grading module reads these types."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import course

STATUS_OK = "graded"
STATUS_PROBLEM = "problem"  # preflight failed, scored 0
STATUS_ERROR = "error"  # nbgrader could not grade it, scored 0
STATUS_ABSENT = "absent"  # nothing submitted, scored 0


@dataclass
class Outcome:
    """The result of grading one student's notebook for one assignment."""

    student: str
    assignment: str
    score: float
    max_score: float
    manual_max: float
    status: str
    reason: str = ""
    seconds: float = 0.0
    cells: dict[str, float] = field(default_factory=dict)
    # where the time went, from the worker: "started" (epoch seconds), "autograde_s", "feedback_s", and the CPU
    # seconds of the worker ("worker_cpu_s") and of the sandboxed kernel ("kernel_cpu_s")
    timings: dict[str, float] = field(default_factory=dict)
    # points the course's late rule took (nbgrader's late_submission_penalty); ``score`` is after it
    late_penalty: float = 0.0


LEDGER = "outcomes.jsonl"  # in a workspace: one line per grading, the last line for a submission wins


def record_outcome(workspace: course.Workspace, outcome: Outcome) -> None:
    """Append ``outcome`` to the workspace's ledger of gradings.

    The gradebook keeps only submissions that were graded; the ledger also keeps why one was not (time
    limit, broken file, absent) and how long it took, for ``python -m autograder report`` and ``export``.
    One line per grading, appended in one write, so a run killed midway leaves every finished line intact.
    """
    workspace.create()
    with (workspace.root / LEDGER).open("a") as fh:
        fh.write(json.dumps(asdict(outcome), sort_keys=True) + "\n")


def read_ledger(workspace: course.Workspace) -> dict[tuple[str, str], Outcome]:
    """The latest recorded outcome of every (student, assignment) in the workspace (lines that do not parse,
    say from a run killed in the middle of a write, are skipped)."""
    path = workspace.root / LEDGER
    latest: dict[tuple[str, str], Outcome] = {}
    if not path.is_file():
        return latest
    for line in path.read_text(errors="replace").splitlines():
        try:
            o = Outcome(**json.loads(line))
        except (ValueError, TypeError):
            continue
        latest[(o.student, o.assignment)] = o
    return latest


def one_line(text: str, limit: int = 200) -> str:
    """The last non-empty line of ``text``, cut to ``limit`` characters: a reason that fits a table cell."""
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    line = lines[-1] if lines else "unknown error"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def write_csv(outcomes: list[Outcome], path: Path) -> None:
    """One row per student and assignment (atomic write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fields = ["student", "assignment", "score", "max_score", "manual_max", "status", "reason", "seconds"]
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for o in outcomes:
            row = {k: v for k, v in asdict(o).items() if k in fields}
            writer.writerow(row)
    tmp.replace(path)


def format_table(outcomes: list[Outcome]) -> str:
    """A student x assignment table of autograded points, followed by the reasons for any problems."""
    students = sorted({o.student for o in outcomes})
    assignments = sorted({o.assignment for o in outcomes})
    by_key = {(o.student, o.assignment): o for o in outcomes}
    header = ["student", *assignments, "total"]
    rows = []
    for s in students:
        row, total, total_max = [s], 0.0, 0.0
        for a in assignments:
            o = by_key.get((s, a))
            if o is None:
                row.append("-")
                continue
            mark = {STATUS_OK: "", STATUS_ABSENT: " -"}.get(o.status, " !")
            row.append(f"{o.score:g}/{o.max_score:g}{mark}")
            total, total_max = total + o.score, total_max + o.max_score
        row.append(f"{total:g}/{total_max:g}")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))  # noqa: E731
    lines = [fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)]
    manual = {o.assignment: o.manual_max for o in outcomes if o.manual_max}
    if manual:
        pending = ", ".join(f"{a}: {m:g}" for a, m in sorted(manual.items()))
        lines.append(f"\nAutograded points only; manually graded points still to add in formgrader ({pending}).")
    absent = [o for o in outcomes if o.status == STATUS_ABSENT]
    if absent:
        lines.append("\n- = nothing submitted (scored 0): " + ", ".join(f"{o.student}/{o.assignment}" for o in absent))
    notes = [o for o in outcomes if o.reason and o.status != STATUS_ABSENT]
    if notes:
        lines.append("\nNotes (! = not graded normally):")
        lines += [f"  {o.student}/{o.assignment}: [{o.status}] {o.reason}" for o in notes]
    return "\n".join(lines)
