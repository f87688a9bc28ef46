"""DropInstructorCells: the instructor's reading of a run stays in ``solutions/``, never in the release.

A solution notebook keeps the outputs of a full run and, beside them, cells that interpret them (what this
run measured, what it means). Those cells answer graded written questions and describe a run that is not the
student's, so the release must not carry them. A cell tagged ``instructor`` (cell metadata ``tags``) is
removed before nbgrader does anything else with the notebook: it is not locked, not checksummed and not
saved in the gradebook, so autograding never restores it into a student's notebook or feedback either.

Such a cell must not be an nbgrader cell (a grade, solution or locked cell): removing one of those would
change what is graded, and the preprocessor refuses it with the cell's id.
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor  # enabled by default, unlike nbconvert's Preprocessor

TAG = "instructor"


def is_instructor_cell(cell: NotebookNode) -> bool:
    """Whether a cell carries the ``instructor`` tag."""
    return TAG in cell.get("metadata", {}).get("tags", [])


class DropInstructorCells(NbGraderPreprocessor):
    """Remove every cell tagged ``instructor`` (see the module docstring)."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        kept = []
        for cell in nb.cells:
            if not is_instructor_cell(cell):
                kept.append(cell)
                continue
            nbgrader = cell.get("metadata", {}).get("nbgrader", {})
            if any(nbgrader.get(key) for key in ("grade", "solution", "locked")):
                raise ValueError(f"cell {cell.get('id')!r} is tagged {TAG!r} and is an nbgrader cell "
                                 f"({nbgrader.get('grade_id')!r}): instructor cells must be plain cells")
        nb.cells = kept
        return nb, resources
