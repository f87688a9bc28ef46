"""HideHiddenTests: feedback never shows hidden test source, yet says what a failing hidden check used.

A graded notebook keeps its hidden tests (the instructor needs them); the HTML feedback a student gets
must not. nbgrader's ``ClearHiddenTests`` removes the marked region from the cell source, but a failing
hidden test's traceback quotes the failing line, so for cells that had a hidden region the traceback is
cut down to ``ErrorName: message``: the assertion message is written for the student, the code is not.

When a hidden check fails because the student's code *raised* (not a failed assertion, whose message
already says what was checked), ``ErrorName: message`` alone does not tell the student what was called.
The feedback then says which check was running, by the description that check carries (the ``what`` /
``message`` argument of the ``course_utils.checks`` call on the failing line, or the next one below it),
and keeps the frames of the traceback that lie in the student's own solution cells.
"""

from __future__ import annotations

import ast
import re

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (hidden tests ran here; their code is not shown)"
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # terminal colour codes in tracebacks
_FRAME = re.compile(r"^Cell In\[(\d+)\], line (\d+)")
# the argument that describes the check, by position and by keyword, for each course_utils.checks helper
_DESCRIPTION_ARG = {"expect_true": (1, "message"), "expect_binary": (1, "what"), "expect_equal": (2, "what"),
                    "expect_type": (2, "what"), "expect_shape": (2, "what"), "expect_array_equal": (2, "what"),
                    "expect_close": (2, "what")}
_ASSERTIONS = ("AssertionError", "CheckFailure")


def _text_of(node: ast.expr) -> str | None:
    """A string literal as written; an f-string with its replacement fields shown as '...'."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "..." for part in node.values)
    return None


def _description(call: ast.Call) -> str | None:
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    if name not in _DESCRIPTION_ARG:
        return None
    position, keyword = _DESCRIPTION_ARG[name]
    for kw in call.keywords:
        if kw.arg == keyword:
            return _text_of(kw.value)
    return _text_of(call.args[position]) if len(call.args) > position else None


def check_description(source: str, line: int) -> str | None:
    """What the check running at ``line`` of a test cell's ``source`` describes itself as.

    The innermost statement holding ``line`` is searched for a checks helper call with a description; failing
    that, the first such call after it (code that computes a value usually feeds the check that follows).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = sorted((node for node in ast.walk(tree) if isinstance(node, ast.Call) and _description(node)),
                   key=lambda node: (node.lineno, node.col_offset))
    statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)
                  and node.lineno <= line <= (node.end_lineno or node.lineno)]
    if statements:
        innermost = min(statements, key=lambda node: (node.end_lineno or node.lineno) - node.lineno)
        inside = [c for c in calls if innermost.lineno <= c.lineno <= (innermost.end_lineno or innermost.lineno)]
        if inside:
            return _description(inside[0])
    after = [c for c in calls if c.lineno > line]
    return _description(after[0]) if after else None


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test regions and the tracebacks that could quote them."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        # execution counts of the student's own cells: their frames may stay in the feedback
        self._student_counts = {str(c.get("execution_count")) for c in nb.cells if c.cell_type == "code"
                                and c.get("execution_count") is not None
                                and c.metadata.get("nbgrader", {}).get("solution")
                                and not c.metadata.get("nbgrader", {}).get("grade")}
        return super().preprocess(nb, resources)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            # Hidden tests live in grade cells only. A student's answer cell is the student's own text, and a
            # student who writes the delimiter there (without its end) must not crash the feedback; other cells
            # keep nbgrader's contract
            return cell, resources
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return super().preprocess_cell(cell, resources, cell_index)  # markdown grade cells as nbgrader does
        full_source = cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)  # removes; enforces the metadata
        cell.source = cell.source.rstrip("\n") + "\n" + HIDDEN_NOTE
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = self._student_traceback(full_source, output)
        return cell, resources

    def _student_traceback(self, source: str, output: NotebookNode) -> list[str]:
        ename, evalue = output.get("ename", "Error"), output.get("evalue", "")
        last = f"{ename}: {evalue}"
        if ename in _ASSERTIONS:
            return [last]  # the check's own message says what it checked
        plain = [ANSI.sub("", entry) for entry in output.get("traceback", [])]
        frames = [(i, m) for i, m in ((i, _FRAME.match(text)) for i, text in enumerate(plain)) if m]
        if not frames:
            return [last]
        what = check_description(source, int(frames[0][1].group(2)))
        note = (f"A hidden check failed with an error while checking: {what}" if what
                else "A hidden check failed with an error")
        students = getattr(self, "_student_counts", set())
        kept = [output["traceback"][i] for i, m in frames[1:] if m.group(1) in students]
        return [note + ("; the error was raised in your code:" if kept else "."), *kept, last]
