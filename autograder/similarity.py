"""``python -m autograder similarity ASSIGNMENT``: which students' own code is most alike.

Only what students wrote is compared: their solution cells and any code cells they added, with the
release's given code (signatures, docstrings, ``raise NotImplementedError()`` stubs, every given cell)
removed as boilerplate. The comparison is copydetect's (winnowed fingerprints of k-grams of tokens, after
pygments has replaced every variable, function and class name by one letter and dropped comments and
whitespace), the method of MOSS (Schleimer, Wilkerson and Aiken 2003): renaming variables, reordering
functions and rewriting comments do not hide a copy. copydetect was chosen because it is on PyPI, is
pure Python, exposes its fingerprints and highlighting as functions, and needs no server (MOSS does).

The page lists every pair with both directions' scores (the share of each student's fingerprinted code
that also occurs in the other's), the most similar first, and shows the matching passages side by side.
A high score is a reason to read two notebooks, not a verdict: short answers to the same small function
can match by necessity.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from . import course
from .grading import preflight

NOISE_T = 25  # k: shortest match that counts, in filtered characters (copydetect's default)
GUARANTEE_T = 25  # any match at least this long is found (window = GUARANTEE_T - NOISE_T + 1)


@dataclass
class Pair:
    a: str
    b: str
    sim_a: float  # share of a's fingerprinted code found in b
    sim_b: float
    overlap: int  # matching tokens
    html_a: str = ""
    html_b: str = ""

    @property
    def score(self) -> float:
        return (self.sim_a + self.sim_b) / 2


def own_code(notebook: dict | nbformat.NotebookNode) -> str:
    """The code a student wrote: solution cells and cells without nbgrader metadata, joined."""
    parts = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") or not meta.get("grade_id"):
            src = cell.get("source", "")
            parts.append("".join(src) if isinstance(src, list) else str(src))
    return "\n\n".join(p for p in parts if p.strip())


def given_code(assignment: str) -> str:
    """All code of the student release (what every student starts from): every code cell, and the stubs
    joined as :func:`own_code` joins a submission's cells, so that no k-gram of an untouched release counts."""
    nb = nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    return "\n\n".join([*(c.source for c in nb.cells if c.cell_type == "code"), own_code(nb)])


def collect(folder: Path, assignment: str) -> tuple[dict[str, str], list[str]]:
    """({student: own code}, notes) for the submissions under ``folder/<student>/<assignment>/``."""
    codes, notes = {}, []
    if not folder.is_dir():
        return codes, [f"{folder} is not a folder of submissions"]
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir() or not preflight.valid_student_id(entry.name):
            continue
        found = preflight.find_notebook(entry / assignment, assignment)
        if found.notebook is None:
            continue
        try:
            nb = json.loads(found.notebook.read_text(encoding="utf-8", errors="replace"))
            if not isinstance(nb, dict):
                raise ValueError("not a notebook")
        except ValueError as exc:
            notes.append(f"{entry.name}: skipped, the notebook does not parse ({exc})")
            continue
        codes[entry.name] = own_code(nb)
    return codes, notes


def _fingerprint(name: str, code: str, boilerplate):
    from copydetect import CodeFingerprint

    return CodeFingerprint(f"{name}.py", NOISE_T, GUARANTEE_T - NOISE_T + 1, boilerplate, fp=io.StringIO(code))


def compare(codes: dict[str, str], given: str, highlight: int = 10) -> list[Pair]:
    """Every pair of students, most similar first; the first ``highlight`` pairs get highlighted HTML."""
    from copydetect import CodeFingerprint, compare_files
    from copydetect.utils import highlight_overlap

    boilerplate = np.unique(np.array(list(CodeFingerprint("given.py", NOISE_T, 1, fp=io.StringIO(given)).hashes),
                                     dtype=np.int64))
    prints = {s: _fingerprint(s, code, boilerplate) for s, code in codes.items()}
    pairs, slices = [], {}
    for a, b in itertools.combinations(sorted(prints), 2):
        fa, fb = prints[a], prints[b]
        if not fa.hashes or not fb.hashes:
            pairs.append(Pair(a, b, 0.0, 0.0, 0))
            continue
        overlap, (sim_a, sim_b), (sl_a, sl_b) = compare_files(fa, fb)
        pairs.append(Pair(a, b, float(sim_a), float(sim_b), int(overlap)))
        slices[(a, b)] = (sl_a, sl_b)
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    for p in pairs[:highlight]:
        sl = slices.get((p.a, p.b))
        if sl is None or p.overlap == 0:
            p.html_a, p.html_b = html.escape(prints[p.a].raw_code), html.escape(prints[p.b].raw_code)
            continue
        p.html_a, _ = highlight_overlap(prints[p.a].raw_code, sl[0], "<mark>", "</mark>", escape_html=True)
        p.html_b, _ = highlight_overlap(prints[p.b].raw_code, sl[1], "<mark>", "</mark>", escape_html=True)
    return pairs


CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 90em; color: #222; }
table { border-collapse: collapse; } th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f3f3f3; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
pre { background: #fafafa; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
mark { background: #ffd27a; } .muted { color: #777; }
"""


def render(assignment: str, pairs: list[Pair], students: list[str], notes: list[str], shown: int = 10) -> str:
    e = lambda v: html.escape(str(v), quote=True)  # noqa: E731
    b = [f"<h1>{e(assignment)}: similarity of the students' own code</h1>",
         f"<p>{len(students)} submissions, {len(pairs)} pairs. Score = mean of the two directions (the share of each "
         f"student's fingerprinted code, given code removed, that also occurs in the other's); copydetect with "
         f"k = {NOISE_T}. A high score is a reason to read both notebooks, not a verdict.</p>"]
    b += [f"<p class=\"muted\">{e(n)}</p>" for n in notes]
    b.append("<table><tr><th>rank</th><th>pair</th><th>score</th><th>share of first found in second</th>"
             "<th>share of second found in first</th><th>matching tokens</th></tr>")
    for i, p in enumerate(pairs, 1):
        b.append(f"<tr data-pair=\"{e(p.a)}|{e(p.b)}\" data-score=\"{p.score:.4f}\"><td class=\"num\">{i}</td>"
                 f"<td>{e(p.a)} &ndash; {e(p.b)}</td><td class=\"num\">{100 * p.score:.0f} %</td>"
                 f"<td class=\"num\">{100 * p.sim_a:.0f} %</td><td class=\"num\">{100 * p.sim_b:.0f} %</td>"
                 f"<td class=\"num\">{p.overlap}</td></tr>")
    b.append("</table>")
    for i, p in enumerate(pairs[:shown], 1):
        if p.overlap == 0:
            continue
        b.append(f"<h2>{i}. {e(p.a)} and {e(p.b)}: {100 * p.score:.0f} %</h2><div class=\"side\">"
                 f"<div><h3>{e(p.a)}</h3><pre>{p.html_a}</pre></div><div><h3>{e(p.b)}</h3><pre>{p.html_b}</pre></div></div>")
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(assignment)}: similarity"
            f"</title><style>{CSS}</style></head><body>\n" + "\n".join(b)
            + f"\n<p class=\"muted\">Written {stamp} by <code>python -m autograder similarity</code>.</p></body></html>\n")


def run(assignment: str, submissions: Path, out: Path) -> tuple[list[Pair], list[str], Path]:
    """Compare the submissions of ``assignment`` under ``submissions``; write ``out``; (pairs, notes, out)."""
    if assignment not in course.assignments():
        raise ValueError(f"unknown assignment {assignment}; known: {', '.join(course.assignments())}")
    codes, notes = collect(submissions, assignment)
    pairs = compare(codes, given_code(assignment)) if len(codes) >= 2 else []
    if len(codes) < 2:
        notes.append(f"{len(codes)} submission(s) of {assignment} found in {submissions}: nothing to compare")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(assignment, pairs, sorted(codes), notes))
    return pairs, notes, out
