"""nbgrader's own tests, run against the kit's subclasses of nbgrader's preprocessors.

The kit subclasses three nbgrader classes: ``OverwriteCells`` (``RestoreMissingCells``: deleted grade cells come back
without failing), ``ClearHiddenTests`` (``HideHiddenTests``: feedback without hidden-test code) and ``Execute``
(``SandboxedExecute``; nbgrader ships no test of ``Execute``). nbgrader's wheel carries its test suite
(``nbgrader/tests/preprocessors/``): each of its test classes is subclassed here with the kit's class in place of
nbgrader's, so that an nbgrader upgrade, or a change of ours, that breaks the contract nbgrader's own tests state
fails here by name. A subclass is free to do *more* (restore a cell nbgrader would refuse): where a test of nbgrader
pins a behaviour the kit changes on purpose, the subclass overrides that one test with the kit's behaviour and says
why (``CHANGED ON PURPOSE`` in its docstring).
"""

from __future__ import annotations

import pytest

pytest.importorskip("nbgrader.tests.preprocessors.test_overwritecells")

from nbgrader.preprocessors import SaveCells  # noqa: E402
from nbgrader.tests.preprocessors import test_clearhiddentests as nbgrader_clearhiddentests  # noqa: E402
from nbgrader.tests.preprocessors import test_overwritecells as nbgrader_overwritecells  # noqa: E402
from nbgrader.tests.preprocessors.conftest import db  # noqa: E402,F401  - nbgrader's fixture, used by its tests

from nbgrader.tests import create_code_cell  # noqa: E402

from autograder.preprocessors.hide_hidden_tests import HIDDEN_NOTE, HideHiddenTests  # noqa: E402
from autograder.preprocessors.restore_missing_cells import RestoreMissingCells  # noqa: E402

gradebook = nbgrader_overwritecells.gradebook
resources = nbgrader_overwritecells.resources


@pytest.fixture
def preprocessors():
    """nbgrader's ``(SaveCells(), OverwriteCells())`` with the kit's restore in place of ``OverwriteCells``."""
    return (SaveCells(), RestoreMissingCells())


@pytest.fixture
def preprocessor():
    """nbgrader's ``ClearHiddenTests()``, replaced by the kit's ``HideHiddenTests``."""
    return HideHiddenTests()


class TestRestoreMissingCellsKeepsOverwriteCellsContract(nbgrader_overwritecells.TestOverwriteCells):
    """Every test of nbgrader's ``TestOverwriteCells``, with ``RestoreMissingCells``."""


class TestHideHiddenTestsKeepsClearHiddenTestsContract(nbgrader_clearhiddentests.TestClearHiddenTests):
    """Every test of nbgrader's ``TestClearHiddenTests``, with ``HideHiddenTests``; one changed on purpose."""

    def test_preprocess_code_grade_cell_hidden_test_region(self, preprocessor):
        """CHANGED ON PURPOSE: nbgrader leaves ``assert True``; the kit adds one line saying hidden tests ran there
        (a student reading the feedback sees why the cell's points can differ from what its visible tests say)."""
        cell = create_code_cell()
        cell.source = "assert True\n### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"
        cell.metadata["nbgrader"] = dict(grade=True)
        cell = preprocessor.preprocess_cell(cell, {}, 1)[0]
        assert cell.source == "assert True\n" + HIDDEN_NOTE
        assert cell.metadata.nbgrader["grade"]


def test_the_fixtures_really_hold_the_kit_classes(preprocessors, preprocessor):
    assert isinstance(preprocessors[1], RestoreMissingCells) and isinstance(preprocessor, HideHiddenTests)
