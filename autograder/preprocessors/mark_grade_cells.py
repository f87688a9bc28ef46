"""MarkGradeCells: label every autograded test cell for the guarded kernel.

The kernel (:mod:`grading_kernel.kernel`) sees each cell's code as the grader sent it, before
IPython's input transformers touch it. A first line ``# [grader] test cell <grade id>`` tells it to restore
the pristine state (:mod:`grading_kernel.guard`) before running the tests, whatever the student's code changed.
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from grading_kernel import GRADE_CELL_MARKER


class MarkGradeCells(NbGraderPreprocessor):
    """Prefix autograded test cells with the grade-cell marker line."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            if not cell.source.startswith(GRADE_CELL_MARKER):
                cell.source = f"{GRADE_CELL_MARKER} {cell.metadata['nbgrader']['grade_id']}\n{cell.source}"
        return cell, resources
