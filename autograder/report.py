"""``python -m autograder report``: one self-contained HTML page per assignment, and an index.

What an instructor asks after grading (nbgrader leaves it open, its issues #235 and #942): how the scores
spread, which tests most of the class fails and with what message, which submissions could not be graded
and why, how long grading took, and how far manual grading has come. Numbers come from the gradebook and
the grading ledger (:mod:`autograder.classbook`); plots are drawn with matplotlib and embedded as PNG, so
a page can be mailed or opened offline. Every value a test checks is also in a ``data-*`` attribute.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from . import classbook, course

from .grading.outcomes import STATUS_ABSENT, STATUS_OK

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { padding: 0.25em 0.7em; text-align: left;
  border-bottom: 1px solid #e4e4e4; vertical-align: top; } th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; } td.rate { white-space: nowrap; }
.bar { display: inline-block; height: 0.8em; background: #4c78a8; vertical-align: middle; }
.bad { color: #b00020; } .muted { color: #777; } code { font-size: 0.92em; }
"""


@dataclass
class TestStats:
    cell: classbook.TestCell
    passed: int
    graded: int

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class FailureGroup:
    grade_id: str
    pattern: str  # the message with its numbers and values blanked
    example: str
    students: list[str]


@dataclass
class AssignmentReport:
    assignment: str
    auto_max: float
    manual_max: float
    submissions: list[classbook.Submission]
    tests: list[TestStats]
    failures: list[FailureGroup]

    @property
    def submitted(self) -> list[classbook.Submission]:
        return [s for s in self.submissions if s.status != STATUS_ABSENT]

    @property
    def graded(self) -> list[classbook.Submission]:
        return [s for s in self.submissions if s.status == STATUS_OK]

    @property
    def not_graded(self) -> list[classbook.Submission]:
        return [s for s in self.submitted if s.status != STATUS_OK]

    @property
    def manual_progress(self) -> tuple[int, int]:
        """(manually graded cells with a score, manually graded cells to grade) over the graded submissions."""
        return sum(s.manual_graded for s in self.graded), sum(s.manual_cells for s in self.graded)


_VALUES = re.compile(r"(expected|got|gave|but)\b.*$", re.IGNORECASE)
_NUMBERS = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def failure_pattern(message: str) -> str:
    """A message with what varies between students removed, so that the same mistake groups together:
    everything from "expected" / "got" on, then any number."""
    text = _VALUES.sub(r"\1 ...", message.strip())
    return _NUMBERS.sub("#", text)[:300]


def analyse(workspace: course.Workspace, assignment: str) -> AssignmentReport:
    """The numbers of one assignment's page."""
    subs = classbook.submissions(workspace, assignment)
    graded = [s for s in subs if s.status == STATUS_OK]
    tests = []
    for cell in classbook.test_cells(assignment):
        passed = sum(1 for s in graded if s.cells.get(cell.grade_id, 0.0) >= cell.points > 0)
        tests.append(TestStats(cell, passed, len(graded)))
    groups: dict[tuple[str, str], FailureGroup] = {}
    for s in graded:
        for gid, message in classbook.failure_messages(workspace, assignment, s.student).items():
            key = (gid, failure_pattern(message))
            group = groups.setdefault(key, FailureGroup(gid, key[1], message, []))
            group.students.append(s.student)
    failures = sorted(groups.values(), key=lambda g: (-len(g.students), g.grade_id, g.pattern))
    auto_max, manual_max = course.max_points(assignment)
    return AssignmentReport(assignment, auto_max, manual_max, subs, tests, failures)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _histogram(rep: AssignmentReport) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.0))
    graded = [s.auto_score for s in rep.graded]
    failed = [0.0 for _ in rep.not_graded]
    top = max(rep.auto_max, 1.0)
    bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 40 else 20
    ax.hist([graded, failed], bins=bins, stacked=True, color=["#4c78a8", "#e45756"],
            label=[f"graded ({len(graded)})", f"not graded, scored 0 ({len(failed)})"])
    ax.set_xlim(-0.7, top + 0.7)
    ax.set_xlabel(f"autograded points (of {rep.auto_max:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{rep.assignment}: autograded score distribution")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: list[str]) -> str:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + f"\n<p class=\"muted\">Written {stamp} by <code>python -m autograder report</code>.</p>"
            "\n</body></html>\n")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def render_assignment(rep: AssignmentReport) -> str:
    """The HTML page of one assignment."""
    scores = [s.auto_score for s in rep.submitted]
    done, todo = rep.manual_progress
    b = [f"<p><a href=\"index.html\">&larr; all assignments</a></p>",
         f"<h1>{_e(rep.assignment)}</h1>",
         f"<p id=\"summary\" data-students=\"{len(rep.submissions)}\" data-submitted=\"{len(rep.submitted)}\" "
         f"data-graded=\"{len(rep.graded)}\" data-not-graded=\"{len(rep.not_graded)}\">"
         f"{len(rep.submissions)} students, {len(rep.submitted)} submitted, {len(rep.graded)} graded, "
         f"{len(rep.not_graded)} could not be graded (scored 0), "
         f"{len(rep.submissions) - len(rep.submitted)} did not submit. "
         f"Autograded points: {rep.auto_max:g}; manually graded points: {rep.manual_max:g}.</p>"]
    b.append("<h2>Score distribution</h2>")
    if scores:
        b.append(f"<p>Autograded points of the {len(scores)} submitted notebooks: mean {statistics.mean(scores):.2f}, "
                 f"median {statistics.median(scores):g}, min {min(scores):g}, max {max(scores):g}.</p>")
        b.append(f"<img alt=\"histogram of autograded scores\" src=\"data:image/png;base64,{_histogram(rep)}\">")
    else:
        b.append("<p>No submissions.</p>")

    b.append("<h2>Test cells</h2>")
    b.append("<p>A test cell passes when it earns all its points. Pass rates are over the graded submissions.</p>")
    b.append("<table><tr><th>grade id</th><th>checks</th><th>tests</th><th>points</th><th>passed</th>"
             "<th>pass rate</th></tr>")
    for t in rep.tests:
        width = int(round(100 * t.rate))
        b.append(f"<tr data-test=\"{_e(t.cell.grade_id)}\" data-passed=\"{t.passed}\" data-graded=\"{t.graded}\">"
                 f"<td><code>{_e(t.cell.grade_id)}</code></td><td>{_e(t.cell.description)}</td>"
                 f"<td>{'visible + hidden' if t.cell.hidden else 'visible'}</td><td class=\"num\">{t.cell.points:g}</td>"
                 f"<td class=\"num\">{t.passed} / {t.graded}</td><td class=\"rate\"><span class=\"bar\" style=\"width:{width}px\"></span> "
                 f"{100 * t.rate:.0f} %</td></tr>")
    b.append("</table>")

    b.append("<h2>Most common failure messages</h2>")
    if rep.failures:
        b.append("<p>Messages of failing test cells in the autograded notebooks, grouped when they differ only in the "
                 "values after \"expected\" / \"got\" and in numbers (hidden tests included: this page is for "
                 "instructors).</p>")
        b.append("<table><tr><th>submissions</th><th>grade id</th><th>message (one example)</th><th>students</th></tr>")
        for g in rep.failures:
            b.append(f"<tr data-failure=\"{_e(g.grade_id)}\" data-count=\"{len(g.students)}\">"
                     f"<td class=\"num\">{len(g.students)}</td><td><code>{_e(g.grade_id)}</code></td>"
                     f"<td><code>{_e(g.example)}</code></td><td>{_e(', '.join(g.students))}</td></tr>")
        b.append("</table>")
    else:
        b.append("<p>No test cell failed.</p>")

    b.append("<h2>Submissions that could not be graded</h2>")
    if rep.not_graded:
        b.append("<table><tr><th>student</th><th>status</th><th>reason</th></tr>")
        for s in rep.not_graded:
            b.append(f"<tr data-not-graded=\"{_e(s.student)}\"><td>{_e(s.student)}</td><td class=\"bad\">{_e(s.status)}</td>"
                     f"<td>{_e(s.reason)}</td></tr>")
        b.append("</table>")
    else:
        b.append("<p>None: every submitted notebook was graded.</p>")
    absent = [s.student for s in rep.submissions if s.status == STATUS_ABSENT]
    if absent:
        b.append(f"<p>Nothing submitted (scored 0): {_e(', '.join(absent))}.</p>")

    b.append("<h2>Submissions: score, grading time, manual grading</h2>")
    times = [s.seconds for s in rep.submitted if s.seconds is not None]
    if times:
        b.append(f"<p>Grading time per submission: median {statistics.median(times):.1f} s, max {max(times):.1f} s, "
                 f"total {sum(times):.0f} s (wall clock of each grading, which may have run beside others).</p>")
    b.append(f"<p id=\"manual\" data-done=\"{done}\" data-todo=\"{todo}\">Manual grading: {done} of {todo} manually "
             f"graded cells of the graded submissions have a score"
             + (f" ({100 * done / todo:.0f} %)." if todo else " (this assignment has none).") + "</p>")
    b.append("<table><tr><th>student</th><th>status</th><th>autograded</th><th>manual</th><th>grading time (s)</th>"
             "<th>note</th></tr>")
    for s in rep.submissions:
        manual = f"{s.manual_graded}/{s.manual_cells} cells, {s.manual_score:g} pts" if s.manual_cells else ""
        b.append(f"<tr data-student=\"{_e(s.student)}\" data-status=\"{_e(s.status)}\" data-score=\"{s.auto_score:g}\">"
                 f"<td>{_e(s.student)}</td><td>{_e(s.status)}</td><td class=\"num\">{s.auto_score:g} / {rep.auto_max:g}</td>"
                 f"<td>{_e(manual)}</td><td class=\"num\">{_seconds(s.seconds)}</td><td>{_e(s.reason)}</td></tr>")
    b.append("</table>")
    return _page(f"{rep.assignment}: grading report", b)


def render_index(reports: list[AssignmentReport], workspace: course.Workspace) -> str:
    b = ["<h1>Grading report</h1>", f"<p>Workspace <code>{_e(workspace.root)}</code>.</p>"]
    if not reports:
        b.append("<p>No assignment has been graded in this workspace yet.</p>")
    else:
        b.append("<table><tr><th>assignment</th><th>submitted</th><th>graded</th><th>not graded</th>"
                 "<th>mean autograded</th><th>hardest test (pass rate)</th><th>manual grading</th></tr>")
        for r in reports:
            scores = [s.auto_score for s in r.submitted]
            mean = f"{statistics.mean(scores):.2f} / {r.auto_max:g}" if scores else ""
            hardest = min(r.tests, key=lambda t: t.rate, default=None) if r.graded else None
            hard = f"<code>{_e(hardest.cell.grade_id)}</code> ({100 * hardest.rate:.0f} %)" if hardest else ""
            done, todo = r.manual_progress
            b.append(f"<tr data-assignment=\"{_e(r.assignment)}\"><td><a href=\"{_e(r.assignment)}.html\">"
                     f"{_e(r.assignment)}</a></td><td class=\"num\">{len(r.submitted)}</td>"
                     f"<td class=\"num\">{len(r.graded)}</td><td class=\"num\">{len(r.not_graded)}</td>"
                     f"<td class=\"num\">{mean}</td><td>{hard}</td><td>{f'{done} / {todo} cells' if todo else ''}</td></tr>")
        b.append("</table>")
    return _page("Grading report", b)


def write(workspace: course.Workspace, assignments: list[str] | None = None, out: Path | None = None) -> list[Path]:
    """Write ``<out>/index.html`` and one page per assignment (default ``out``: ``<workspace>/report``)."""
    wanted = classbook.graded_assignments(workspace, assignments)
    out = out or workspace.root / "report"
    out.mkdir(parents=True, exist_ok=True)
    reports = [analyse(workspace, a) for a in wanted]
    written = []
    for rep in reports:
        path = out / f"{rep.assignment}.html"
        path.write_text(render_assignment(rep))
        written.append(path)
    index = out / "index.html"
    index.write_text(render_index(reports, workspace))
    return [index, *written]
