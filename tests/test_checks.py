"""Check helpers pass on correct values and fail with messages naming what was expected and given."""

import numpy as np
import pytest
import torch

from course_utils import checks


def test_expect_equal_message_names_expected_and_got():
    checks.expect_equal(3, 3, "x")
    with pytest.raises(AssertionError, match=r"add\(1, 2\): expected 3, got 4"):
        checks.expect_equal(4, 3, "add(1, 2)")


def test_expect_array_equal_accepts_any_container_and_reports_first_difference():
    checks.expect_array_equal(torch.tensor([1, 0, 1]), [1.0, 0.0, 1.0], "bits")
    checks.expect_array_equal(np.array([[1, 2]]), [[1, 2]], "2-D")
    with pytest.raises(AssertionError, match=r"bits: 1 of 3 entries differ \(first at index \(1,\)\)"):
        checks.expect_array_equal([1, 1, 1], [1, 0, 1], "bits")
    with pytest.raises(AssertionError, match=r"expected shape \(3,\), got shape \(2,\)"):
        checks.expect_array_equal([1, 1], [1, 0, 1], "bits")


def test_expect_close_uses_the_tolerance_and_rejects_nan():
    checks.expect_close(torch.tensor(1.0 + 1e-8), 1.0, "loss")
    with pytest.raises(AssertionError, match=r"loss: maximum error 0.1 exceeds the tolerance"):
        checks.expect_close(1.1, 1.0, "loss")
    with pytest.raises(AssertionError, match="non-finite"):
        checks.expect_close(float("nan"), 1.0, "loss")


def test_expect_shape_type_true_binary():
    checks.expect_shape(torch.zeros(2, 3), (2, 3), "z")
    with pytest.raises(AssertionError, match=r"z: expected shape \(3, 2\), got shape \(2, 3\)"):
        checks.expect_shape(np.zeros((2, 3)), (3, 2), "z")
    with pytest.raises(AssertionError, match="expected a int, got str"):
        checks.expect_type("1", int, "n")
    with pytest.raises(AssertionError, match="custom message"):
        checks.expect_true(False, "custom message")
    checks.expect_binary([0, 1, 1], "y")
    with pytest.raises(AssertionError, match="only 0s and 1s"):
        checks.expect_binary([0, 2], "y")


def test_rel_error_is_zero_for_equal_and_positive_otherwise():
    assert checks.rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert checks.rel_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)


def _error_in_kernel(student_code: str, test_code: str):
    """Run the student's cell, then a test cell, in a real kernel; return the test cell's error output."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from course_utils.checks import expect_equal\n" + student_code),
                nbformat.v4.new_code_cell(test_code)]
    NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute()
    return nb.cells[1].outputs[-1]


def test_a_failed_check_shows_the_test_line_and_message_not_course_utils():
    """In a real kernel, as JupyterLab, nbgrader's Validate and the feedback page show it."""
    error = _error_in_kernel("def add(a, b):\n    return a + b + 1\n",
                             "x = 1\nexpect_equal(add(39, 50), 89, 'add(39, 50)')\n")
    assert error.output_type == "error" and error.ename == "CheckFailure"
    shown = "\n".join(error.traceback)
    assert "expect_equal(add(39, 50), 89, 'add(39, 50)')" in shown, shown
    assert "CheckFailure: add(39, 50): expected 89, got 90" in shown
    assert "checks.py" not in shown and "raise CheckFailure" not in shown and "interactiveshell" not in shown, shown
    assert "Cell, line 2" in shown


def test_a_student_error_inside_a_check_keeps_its_full_traceback():
    """Only CheckFailure is shortened: an exception in the student's code shows where it happened."""
    error = _error_in_kernel("def add(a, b):\n    return a + undefined_name\n",
                             "expect_equal(add(1, 2), 3, 'add(1, 2)')\n")
    assert error.ename == "NameError" and "undefined_name" in "\n".join(error.traceback)


def test_expect_on_meta_lets_an_answer_read_values_and_judges_only_where_results_land():
    """Reading values (``.item()``, ``.cpu().numpy()``, ``.tolist()``) works on a GPU, so it must work here, with and
    without ``torch.inference_mode()``; a tensor built on the CPU and mixed in, or returned, is refused."""
    import numpy as np
    import torch

    from course_utils.checks import CheckFailure, expect_on_meta

    def reads_values(x):
        counts = np.bincount(x.argmax(1).cpu().numpy(), minlength=3)
        return x * 2, float(x.sum().item()), counts, x.sum().tolist()

    def reads_values_in_inference_mode(x):
        with torch.inference_mode():
            return reads_values(x) + (x.to("cpu", torch.float64).shape, bool((x > 0).any().item()))

    x = torch.randn(4, 3)
    for fn in (reads_values, reads_values_in_inference_mode):
        out = expect_on_meta(fn, x, what=fn.__name__)
        assert out[0].device.type == "meta" and out[1] == 0.0 and out[2].tolist() == [4, 0, 0]
    with pytest.raises(CheckFailure, match="returned a tensor on cpu"):
        expect_on_meta(lambda x: x.cpu() * 2, x, what="moves its result")
    with pytest.raises(CheckFailure, match="failed with RuntimeError"):
        expect_on_meta(lambda x: x + torch.ones(3), x, what="mixes a CPU tensor in")
