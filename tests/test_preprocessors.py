"""The course's nbgrader preprocessors, on tiny notebooks made in the test."""

import nbformat
import pytest
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


def test_a_hidden_check_that_raises_says_what_it_checked_and_shows_only_the_students_frames():
    """A real kernel's traceback: the student's one_hot fails on the labels a hidden check gives it."""
    import pytest

    nbclient = pytest.importorskip("nbclient")
    answer = new_code_cell("import torch\nimport torch.nn.functional as F\n\ndef one_hot(labels, k=10):\n"
                           "    return F.one_hot(labels, k).float()")
    answer.metadata["nbgrader"] = {"grade": False, "grade_id": "one_hot", "locked": False, "schema_version": 3,
                                   "solution": True, "task": False}
    helper = "def _secret_helper(x):\n    return x.int()  # SECRET\n"
    test = _grade_cell("from course_utils.checks import expect_equal\nexpect_equal(1, 1, 'visible')\n"
                       f"### BEGIN HIDDEN TESTS\n{helper}labels = _secret_helper(torch.tensor([1, 2]))\n"
                       "out = one_hot(labels)  # SECRET too\n"
                       "expect_equal(tuple(out.shape), (2, 10), f'one_hot of {len(labels)} int32 labels')\n"
                       "### END HIDDEN TESTS", [])
    nb = new_notebook(cells=[answer, test])
    nbclient.NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120).execute()
    assert nb.cells[1].outputs[-1].ename == "RuntimeError"
    nb, _ = HideHiddenTests().preprocess(nb, {})
    tb = nb.cells[1].outputs[-1].traceback
    text = "\n".join(tb)
    assert tb[0].startswith("A hidden check failed with an error while checking: one_hot of ... int32 labels"), tb[0]
    assert "F.one_hot(labels, k)" in text, "the frame in the student's own cell stays"
    assert "SECRET" not in text and "_secret_helper" not in text and "BEGIN HIDDEN" not in nbformat.writes(nb)
    assert tb[-1].startswith("RuntimeError: one_hot is only applicable")


def test_check_description_finds_the_check_on_or_after_the_failing_line():
    from autograder.preprocessors.hide_hidden_tests import check_description

    source = ("x = f(1)\nexpect_close(x, 2.0, 'f of one', atol=1e-6)\nfor k in range(3):\n"
              "    expect_true(g(k), message=f'g at {k}')\nexpect_shape(h(), (2,), what='h with no input')\n")
    assert check_description(source, 1) == "f of one"  # the check that the failing computation feeds
    assert check_description(source, 2) == "f of one"
    assert check_description(source, 4) == "g at ..."  # f-string fields are not shown
    assert check_description(source, 5) == "h with no input"
    assert check_description(source, 6) is None
    assert check_description("not python (", 1) is None


def test_drop_instructor_cells_removes_tagged_cells_and_keeps_the_rest():
    from nbformat.v4 import new_markdown_cell

    from autograder.preprocessors import DropInstructorCells

    nb = new_notebook(cells=[new_markdown_cell("intro"), new_markdown_cell("what this run measured: 78.0 %",
                                                                          metadata={"tags": ["instructor"]}),
                             new_code_cell("x = 1")])
    out, _ = DropInstructorCells().preprocess(nb, {})
    assert [c.source for c in out.cells] == ["intro", "x = 1"]


def test_drop_instructor_cells_refuses_a_tagged_graded_cell():
    from nbformat.v4 import new_markdown_cell

    from autograder.preprocessors import DropInstructorCells

    cell = new_markdown_cell("answer", metadata={"tags": ["instructor"],
                                                 "nbgrader": {"grade": True, "solution": True, "grade_id": "a", "points": 2}})
    with pytest.raises(ValueError, match="instructor cells must be plain cells"):
        DropInstructorCells().preprocess(new_notebook(cells=[cell]), {})
