"""DemoteStderr: a warning on stderr must not zero a grade cell.

nbgrader's ``determine_grade`` gives 0 points to a code cell with *any* stderr stream output. torch and
numpy write ``UserWarning``s there for perfectly correct code. A failing test raises, which produces an
``error`` output; that is what should decide the score. This preprocessor, placed after execution and
before ``SaveAutoGrades``, renames stderr streams to stdout so that only errors count.
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor


class DemoteStderr(NbGraderPreprocessor):
    """Turn ``stream``/``stderr`` outputs into ``stream``/``stdout`` in every code cell."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
        return cell, resources
