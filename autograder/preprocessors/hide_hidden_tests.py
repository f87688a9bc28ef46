"""HideHiddenTests: feedback never shows hidden test source.

A graded notebook keeps its hidden tests (the instructor needs them); the HTML feedback a student gets
must not. nbgrader's ``ClearHiddenTests`` removes the marked region from the cell source, but a failing
hidden test's traceback quotes the failing line, so for cells that had a hidden region the traceback is
cut down to ``ErrorName: message``: the assertion message is written for the student, the code is not.
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (hidden tests ran here; their code is not shown)"


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test regions and the tracebacks that could quote them."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        self._remove_hidden_test_region(cell)
        cell.source = cell.source.rstrip("\n") + "\n" + HIDDEN_NOTE
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
