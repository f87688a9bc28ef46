"""Every autograded test fails on the untouched release and passes on the solution."""

import pytest

from autograder import course, selftest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results() -> dict:
    """The self-test of every notebook, graded as one class (solution and release of each) on all cores."""
    return {r.assignment: r for r in selftest.run()}


@pytest.mark.parametrize("assignment", course.assignments())
def test_solution_earns_everything_and_release_earns_nothing(results, assignment):
    result = results[assignment]
    assert not result.problems, selftest.report([result])
    assert result.solution.score == result.solution.max_score > 0
    assert result.release.score == 0
