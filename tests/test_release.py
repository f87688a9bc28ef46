"""notebooks/ is exactly what nbgrader generates from solutions/, and drift is caught."""

import json
import shutil

import nbformat
import pytest

from autograder import course, release

pytestmark = pytest.mark.slow


def test_committed_release_is_in_sync_with_solutions():
    problems = release.check()
    assert not problems, "\n".join(problems)


def test_bundled_sample_submissions_are_built_from_the_current_release(tmp_path):
    """The samples are the release with some answers filled in: a release changed without rebuilding them
    (python -m autograder.samples.make_samples) would grade students against an old notebook."""
    from autograder.samples import make_samples

    make_samples.build(out=tmp_path)
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb"))
    assert built, "make_samples built no notebooks"
    stale = [str(rel) for rel in built if (make_samples.OUT / rel).read_bytes() != (tmp_path / rel).read_bytes()]
    assert not stale, f"sample submissions out of date with the release (run python -m autograder.samples.make_samples): {stale}"


def test_release_has_stubs_and_no_hidden_tests_or_outputs():
    for assignment in course.assignments():
        text = (course.RELEASE / assignment / f"{assignment}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text
        nb = nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_a_hand_edited_release_is_detected(tmp_path, monkeypatch):
    copy = tmp_path / "notebooks"
    shutil.copytree(course.RELEASE, copy)
    assignment = course.assignments()[0]
    path = copy / assignment / f"{assignment}.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][0]["source"] = ["# edited by hand\n"]
    path.write_text(json.dumps(nb))
    (copy / "99_orphan").mkdir()
    monkeypatch.setattr(course, "RELEASE", copy)
    problems = release.check()
    assert any(f"notebooks/{assignment}/{assignment}.ipynb differs" in p for p in problems), problems
    assert any("99_orphan" in p for p in problems), problems


def test_every_solution_has_graded_cells_and_a_points_statement():
    for assignment in course.assignments():
        auto, manual = course.max_points(assignment)
        assert auto > 0, f"{assignment} has no autograded points"
        nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
        assert f"{auto + manual:g} points" in nb.cells[0].source, (
            f"{assignment}'s first cell should state the total ({auto + manual:g} points)")
