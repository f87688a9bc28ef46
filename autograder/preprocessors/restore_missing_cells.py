"""Deleted grade cells come back where they were, whatever cell came before them.

nbgrader 0.9.6's ``OverwriteCells.add_missing_grade_cells`` puts a deleted grade cell back after its
predecessor in the source notebook, but looks that predecessor up among the submission's grade and solution
cells only. When the predecessor is a locked given cell (code or markdown), the lookup raises ``KeyError``
and the whole notebook fails to grade: a student who deleted one test cell got 0 for everything.

:class:`RestoreMissingCells` is ``OverwriteCells`` with that step replaced: each missing grade cell (test
cells and written answers alike, in source order) goes after the nearest earlier cell of the source
notebook that the submission still has, of any kind, and first when there is none. Restored cells are
nbgrader's own (its ``missing_cell_transform``: the source's text, a note that it was added back, full
points available), so a restored test runs and scores, and a restored written answer is graded by hand.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import OverwriteCells


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def restore_missing_grade_cells(cells: list, source_cells: list, grade_cells: dict, solution_ids: set,
                                transform, solution_transform=None) -> list[str]:
    """Insert, in place, every grade cell of ``source_cells`` that ``cells`` lacks; returns their ids.

    ``source_cells``: the source notebook's cells with a grade id, in notebook order (objects with
    ``name``); ``grade_cells``: ``{grade id: max score}``; ``transform(source_cell, max_score, is_solution)``
    makes the notebook cell to insert. With ``solution_transform(source_cell)``, missing solution cells
    that are not grade cells come back too.
    """
    order = [cell.name for cell in source_cells]
    restored = []
    for position, source_cell in enumerate(source_cells):
        is_grade = source_cell.name in grade_cells
        if not is_grade and not (solution_transform is not None and source_cell.name in solution_ids):
            continue
        present = {_grade_id(cell): i for i, cell in enumerate(cells) if _grade_id(cell) is not None}
        if source_cell.name in present:
            continue
        insert_at = 0
        for previous in reversed(order[:position]):
            if previous in present:
                insert_at = present[previous] + 1
                break
        new = (transform(source_cell, grade_cells[source_cell.name], source_cell.name in solution_ids) if is_grade
               else solution_transform(source_cell))
        cells.insert(insert_at, new)
        restored.append(source_cell.name)
    return restored


class RestoreMissingCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` whose re-adding of deleted grade cells never fails (see the module)."""

    def missing_solution_cell(self, source_cell) -> NotebookNode:
        """A deleted solution cell as the release has it (the stub), marked as added back."""
        cell = self.missing_cell_transform(source_cell, 0, is_solution=True)
        cell["metadata"]["nbgrader"]["grade"] = False
        cell["metadata"]["nbgrader"].pop("points", None)
        cell["metadata"].pop("editable", None)
        return cell

    def add_missing_grade_cells(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        grade_cells = {cell.name: cell.max_score for cell in source_nb.grade_cells}
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        restored = restore_missing_grade_cells(
            nb.cells, list(source_nb.source_cells), grade_cells, solution_ids,
            lambda cell, points, is_solution: self.missing_cell_transform(cell, points, is_solution=is_solution),
            self.missing_solution_cell)
        for name in restored:
            self.log.warning("Missing grade cell %s encountered, added back to the notebook", name)
        return nb, resources
