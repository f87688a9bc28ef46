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


def _measured_figures(assignment: str) -> dict[str, float]:
    """The measured (non-integer) figures of a notebook's recorded full run, ``results/<id>.json``."""
    metrics = json.loads((course.ROOT / "results" / f"{assignment}.json").read_text())["metrics"]
    return {k: v for k, v in metrics.items() if isinstance(v, float) and v != int(v)}


@pytest.mark.parametrize("assignment", course.assignments())
def test_the_release_does_not_quote_the_solution_runs_measurements(assignment):
    """Rule: no text cell of a release quotes a measured figure of the solution's recorded run. A figure is a decimal
    number with three or more significant digits in the text ("78.0", "2.47", "0.0105"); it is a quote when a
    non-integer value of ``results/<id>.json`` rounds to it (or, as a percentage, to it). Integers are left out:
    they are budgets and sizes the notebook sets (steps, images), not outcomes. The instructor's reading of the
    run lives in cells tagged ``instructor``, which the release drops, and in the model answers, which it clears.
    """
    import re

    figures = _measured_figures(assignment)
    nb = nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    quotes = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for match in re.finditer(r"(?<![\w.])\d+\.\d+", cell.source):
            text = match.group()
            if len(text.replace(".", "").lstrip("0")) < 3:
                continue
            decimals, value = len(text.split(".")[1]), float(text)
            keys = [k for k, v in figures.items() if value in (round(v, decimals), round(100 * v, decimals))]
            if keys:
                quotes.append(f"cell {cell.get('id')}: {text} (= {keys[0]})")
    assert not quotes, f"{assignment}'s release quotes its solution run's measurements: {quotes}"


@pytest.mark.parametrize("assignment", course.assignments())
def test_instructor_cells_stay_in_the_solutions(assignment):
    """Cells tagged ``instructor`` (the reading of the solution's run) exist only in ``solutions/``."""
    nb = nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    assert not [c.get("id") for c in nb.cells if "instructor" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("assignment", course.assignments())
def test_each_notebook_opens_with_its_budget_from_its_results_file(assignment):
    """The first cell states what the notebook costs to run, word for word the sentence made from
    ``results/<id>.json`` (course_utils.results.budget_line), so the figures cannot drift from the record."""
    from course_utils.results import BUDGET_PREFIX, budget_line

    first = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4).cells[0].source
    stated = [line for line in first.splitlines() if line.startswith(BUDGET_PREFIX)]
    expected = budget_line(assignment)
    assert stated == [expected], (f"{assignment}'s first cell should carry the line\n{expected}\n"
                                  f"(python -m course_utils.results --budget-lines), got {stated}")


SHARED_WORDS = 8  # a run of this many words in common is a quote, not a shared term
GIVEN_AWAY = 0.10  # share of a model answer's runs found in the release's text that counts as giving it away


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _runs(text: str) -> list[tuple[str, ...]]:
    words = _words(text)
    return [tuple(words[i:i + SHARED_WORDS]) for i in range(len(words) - SHARED_WORDS + 1)]


@pytest.mark.parametrize("assignment", course.assignments())
def test_no_released_text_answers_a_graded_written_question(assignment):
    """Rule: a release's text cells hold at most 10 % of the runs of eight consecutive words of any model answer of a
    manually graded question (the solution's answer cells, which the release clears). Eight words are past shared
    terms; the 10 % leaves room for an answer that echoes a phrase of the text ("keeps q(z|x) close to the prior"),
    which answers do (measured 2026-12-06: at most 4.2 %, 07's answer_loss_terms; 0 for 15 of 19 answers), and
    fails a text that states the answer's reasoning."""
    source = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    given = {run for c in release.cells if c.cell_type == "markdown"
             and not c.metadata.get("nbgrader", {}).get("solution") for run in _runs(c.source)}
    found = []
    for cell in source.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            runs = _runs(cell.source)
            share = sum(run in given for run in runs) / max(1, len(runs))
            if share > GIVEN_AWAY:
                found.append(f"{cell.metadata.nbgrader.grade_id}: {100 * share:.0f} % of its eight-word runs are in the text")
    assert not found, f"{assignment}'s release gives away written answers: {found}"
