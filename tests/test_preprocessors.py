"""The course's nbgrader preprocessors, on tiny notebooks made in the test."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.preprocessors import DemoteStderr, HideHiddenTests


def _grade_cell(source, outputs):
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def test_demote_stderr_turns_warnings_into_stdout_and_keeps_errors():
    warn = new_output("stream", name="stderr", text="UserWarning: harmless\n")
    err = new_output("error", ename="AssertionError", evalue="wrong", traceback=["..."])
    nb = new_notebook(cells=[_grade_cell("f()", [warn]), _grade_cell("g()", [err])])
    nb, _ = DemoteStderr().preprocess(nb, {})
    assert nb.cells[0].outputs[0].name == "stdout"
    assert nb.cells[1].outputs[0].output_type == "error"


def test_hide_hidden_tests_removes_source_and_traceback_lines():
    source = "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 99, 'f(2) should be 4'\n### END HIDDEN TESTS"
    err = new_output("error", ename="AssertionError", evalue="f(2) should be 4",
                     traceback=["----> 3 assert f(2) == 99, 'f(2) should be 4'", "AssertionError: f(2) should be 4"])
    nb = new_notebook(cells=[_grade_cell(source, [err]), _grade_cell("assert True", [])])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    text = nbformat.writes(nb)
    assert "f(2) == 99" not in text and "BEGIN HIDDEN" not in text
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: f(2) should be 4"]
    assert "assert f(1) == 1" in nb.cells[0].source
    assert nb.cells[1].source == "assert True"
