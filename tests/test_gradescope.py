"""Gradescope: the autograder zip of every assignment, and its run end to end in Gradescope's layout.

A test unpacks the zip into a temporary folder that stands for ``/autograder`` (``GRADESCOPE_ROOT``), runs
``setup.sh`` against the already built environment (``COURSE_PYTHON``: no apt, no pip, no network), then
``run_autograder`` for each submission, validates ``results.json`` against Gradescope's schema and compares its
scores, cell by cell, with the kit's own grades of the same notebooks (the session's sample class).
CI runs notebook 01's sample class and a hostile subset of its adversarial class; ``-m extended`` runs every
assignment's sample class and the whole adversarial class (``make test-extended``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from autograder import course, gradescope

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "submissions"

# Gradescope's autograder specification, results.json (the keys the kit writes; Gradescope allows more)
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "visibility", "stdout_visibility", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "integer", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "tests": {"type": "array", "items": {
            "type": "object", "required": ["name", "score", "max_score", "output", "visibility"],
            "properties": {"name": {"type": "string"}, "number": {"type": "string"},
                           "score": {"type": "number", "minimum": 0}, "max_score": {"type": "number", "minimum": 0},
                           "output": {"type": "string"}, "visibility": VISIBILITY},
        }},
    },
}


def _validated(path: Path) -> dict:
    results = json.loads(path.read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    for test in results["tests"]:
        assert test["score"] <= test["max_score"], test
    return results


class Emulated:
    """One assignment's zip unpacked into a folder laid out as Gradescope's ``/autograder``, set up once."""

    def __init__(self, base: Path, assignment: str, **penalty: float):
        self.base, self.assignment = base, assignment
        zip_path = gradescope.build_zip(assignment, base / "autograder.zip", **penalty)
        (base / "source").mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(base / "source")
        for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes; Gradescope's unzip does
            (base / "source" / name).chmod(0o755)
        self.env = {**os.environ, "GRADESCOPE_ROOT": str(base), "COURSE_PYTHON": sys.executable}
        subprocess.run(["bash", str(base / "source" / "setup.sh")], env=self.env, check=True, capture_output=True,
                       text=True, timeout=300)

    def grade(self, files: dict[str, bytes], metadata: dict | None = None) -> dict:
        """Put ``files`` into ``submission/``, run ``run_autograder``; the validated ``results.json``."""
        import shutil

        for folder in ("submission", "results"):
            shutil.rmtree(self.base / folder, ignore_errors=True)
            (self.base / folder).mkdir()
        for name, data in files.items():
            (self.base / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
            (self.base / "submission" / name).write_bytes(data)
        (self.base / "submission_metadata.json").write_text(json.dumps(metadata or {}))
        proc = subprocess.run([str(self.base / "source" / "run_autograder")], env=self.env, capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return _validated(self.base / "results" / "results.json")


def _sample(student: str, assignment: str) -> dict[str, bytes]:
    return {f"{assignment}.ipynb": (SAMPLES / student / assignment / f"{assignment}.ipynb").read_bytes()}


def _check_against_kit(results: dict, outcome, assignment: str) -> None:
    """results.json scores equal the kit's grades cell by cell; hand-graded cells at 0 of their points."""
    for cell in course.graded_cells(assignment):
        test = next(t for t in results["tests"] if t["name"] == cell.grade_id)
        assert test["max_score"] == cell.points
        if cell.autograded:
            assert test["score"] == pytest.approx(outcome.cells.get(cell.grade_id, 0.0)), (cell.grade_id, test)
        else:
            assert test["score"] == 0 and "by hand" in test["output"]
    assert results["score"] == pytest.approx(outcome.score)


# ------------------------------------------------------------------------------------------------ the zips
@pytest.mark.parametrize("assignment", course.assignments())
def test_the_zip_of_every_assignment_builds_with_what_gradescope_runs_and_no_other_solution(assignment, tmp_path):
    path = gradescope.build_zip(assignment, tmp_path / "a.zip")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        config = json.loads(zf.read("gradescope.json"))
    assert {"setup.sh", "run_autograder", "gradescope.json", "pyproject.toml"} <= names
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert f"solutions/{assignment}/{assignment}.ipynb" in names
    assert not [n for n in names if n.startswith("solutions/") and not n.startswith(f"solutions/{assignment}/")]
    assert not [n for n in names if "samples/submissions" in n or "__pycache__" in n or n.endswith("gradebook.db")]
    assert config == {"assignment": assignment, "late_penalty_per_day": 0.0, "late_penalty_max": 1.0}


def test_an_unknown_assignment_or_a_bad_penalty_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown assignment"):
        gradescope.build_zip("99_nothing", tmp_path / "a.zip")
    with pytest.raises(ValueError, match="fractions"):
        gradescope.build_zip("01_binary_rnn", tmp_path / "a.zip", late_penalty_per_day=5)


# ------------------------------------------------------------------------------------------------ rules
def test_which_notebook_is_graded(tmp_path):
    a = "03_gmm_gan"
    sub = tmp_path / "s"
    assert gradescope.find_submission(sub, a)[0] is None
    sub.mkdir()
    assert "no notebook" in gradescope.find_submission(sub, a)[1]
    (sub / "work.zip").write_bytes(b"PK")
    assert "not opened" in gradescope.find_submission(sub, a)[1]
    (sub / "mine.ipynb").write_text("{}")
    path, note = gradescope.find_submission(sub, a)
    assert path.name == "mine.ipynb" and "renamed" in note
    (sub / "other.ipynb").write_text("{}")
    path, note = gradescope.find_submission(sub, a)
    assert path is None and "several notebooks" in note
    (sub / "folder").mkdir()
    (sub / "folder" / f"{a}.ipynb").write_text("{}")
    (sub / "__MACOSX").mkdir()
    (sub / "__MACOSX" / f"{a}.ipynb").write_text("{}")
    (sub / ".ipynb_checkpoints").mkdir()
    (sub / ".ipynb_checkpoints" / f"{a}.ipynb").write_text("{}")
    path, note = gradescope.find_submission(sub, a)
    assert path == sub / "folder" / f"{a}.ipynb" and "other notebooks ignored" in note


def test_lateness_and_the_penalty_rule():
    due = {"due_date": "2026-12-06T23:59:00-05:00"}
    assert gradescope.lateness({"created_at": "2026-12-06T20:00:00-05:00", "assignment": due}) == 0
    assert gradescope.lateness({"created_at": "2026-12-08T11:59:00-05:00", "assignment": due}) == pytest.approx(1.5)
    assert gradescope.lateness({}) == 0 and gradescope.lateness({"created_at": "yesterday", "assignment": due}) == 0
    assert gradescope.late_factor(0, 0.1, 1) == 1 and gradescope.late_factor(1.5, 0.0, 1) == 1
    assert gradescope.late_factor(1.5, 0.1, 1) == pytest.approx(0.8)  # two started days
    assert gradescope.late_factor(30, 0.1, 0.5) == pytest.approx(0.5)


def test_run_never_crashes_and_writes_a_zero_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(gradescope, "_config", lambda: (_ for _ in ()).throw(OSError("gradescope.json missing")))
    results = gradescope.run(tmp_path)
    assert results["score"] == 0 and "gradescope.json missing" in results["output"]
    assert _validated(tmp_path / "results" / "results.json") == results


# ------------------------------------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def emulated_01(tmp_path_factory):
    return Emulated(tmp_path_factory.mktemp("gradescope-01"), "01_binary_rnn", late_penalty_per_day=0.1,
                    late_penalty_max=0.5)


@pytest.mark.slow
@pytest.mark.parametrize("student", ["alice", "bob", "carol", "dave", "erin"])
def test_notebook_01_sample_class_on_gradescope_scores_as_the_kit_grades(emulated_01, sample_class, student):
    outcomes, _, _ = sample_class
    results = emulated_01.grade(_sample(student, "01_binary_rnn"))
    _check_against_kit(results, outcomes[(student, "01_binary_rnn")], "01_binary_rnn")


@pytest.mark.slow
def test_failure_messages_hide_the_hidden_tests_and_hidden_cells_wait_for_publication(emulated_01):
    results = emulated_01.grade(_sample("carol", "01_binary_rnn"))
    source = nbformat.read(course.SOLUTIONS / "01_binary_rnn" / "01_binary_rnn.ipynb", as_version=4)
    hidden_lines = [line.strip() for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source
                    for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
                    if len(line.strip()) > 20]
    failed = [t for t in results["tests"] if t["score"] < t["max_score"] and "by hand" not in t["output"]]
    assert failed, "carol's 01 fails some tests"
    for test in results["tests"]:
        assert not [line for line in hidden_lines if line in test["output"]], test["name"]
    with_hidden = {c.metadata.nbgrader.grade_id for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source}
    assert {t["name"] for t in results["tests"] if t["visibility"] == "after_published"} == with_hidden


@pytest.mark.slow
def test_late_work_loses_the_configured_share_and_says_so(emulated_01):
    metadata = {"created_at": "2026-12-08T12:00:00+00:00", "assignment": {"due_date": "2026-12-07T00:00:00+00:00"}}
    results = emulated_01.grade(_sample("alice", "01_binary_rnn"), metadata)
    assert results["score"] == pytest.approx(10 * 0.8)  # 1.5 days: two started days at 10 %
    assert "1.50 days after the due date" in results["output"] and "20 %" in results["output"]


@pytest.mark.slow
def test_a_renamed_notebook_in_a_folder_is_graded_and_several_are_refused(emulated_01):
    results = emulated_01.grade({"hw/my work.ipynb": _sample("alice", "01_binary_rnn")["01_binary_rnn.ipynb"]})
    assert results["score"] == 10 and "renamed" in results["output"]
    two = {"a.ipynb": b"{}", "b.ipynb": b"{}"}
    results = emulated_01.grade(two)
    assert results["score"] == 0 and "several notebooks" in results["output"]


def _adversarial(tmp_path: Path, names: list[str] | None) -> tuple[Path, dict]:
    sys.path.insert(0, str(ROOT / "tests"))
    import adversarial_class

    subs = tmp_path / "adversarial"
    adversarial_class.build(subs, course.Workspace(tmp_path / "never-used"), port=9)
    chosen = {s: e for s, e in adversarial_class.EXPECTED.items() if names is None or s in names}
    return subs, chosen


@pytest.mark.slow
@pytest.mark.parametrize("student", ["badjson", "nonotebook", "osexit", "readsecrets", "monkeypatch"])
def test_hostile_and_broken_submissions_get_their_expected_points_never_a_crash(emulated_01, tmp_path, student):
    subs, expected = _adversarial(tmp_path, [student])
    folder = subs / student / "01_binary_rnn"
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()} \
        if folder.is_dir() else {}
    results = emulated_01.grade(files)
    assert results["score"] == expected[student][1], results["output"]
    if expected[student][0] != "graded":
        assert results["output"].startswith("Not graded:") and len(results["output"].splitlines()[0]) < 400


@pytest.mark.slow
def test_a_submission_cannot_write_its_own_results(emulated_01):
    sys.path.insert(0, str(ROOT / "tests"))
    import adversarial_class

    target = emulated_01.base / "results" / "results.json"
    nb = adversarial_class.with_code("bob", "weights", f"open({str(target)!r}, 'w').write('{{\"score\": 1000}}')")
    results = emulated_01.grade({"01_binary_rnn.ipynb": nbformat.writes(nb).encode()})
    assert results["score"] == 0 and results["tests"]


# ------------------------------------------------------------------------------------------------ extended
@pytest.mark.extended
@pytest.mark.parametrize("assignment", course.assignments())
def test_every_sample_class_on_gradescope_scores_as_the_kit_grades(assignment, sample_class, tmp_path):
    outcomes, _, _ = sample_class
    emulated = Emulated(tmp_path / "root", assignment)
    students = sorted(s for s, a in outcomes if a == assignment and (SAMPLES / s / a / f"{a}.ipynb").is_file())
    assert students
    for student in students:
        _check_against_kit(emulated.grade(_sample(student, assignment)), outcomes[(student, assignment)], assignment)


@pytest.mark.extended
def test_the_whole_adversarial_class_on_gradescope(emulated_01, tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    import adversarial_class

    emulated_01.env.update(COURSE_CELL_TIMEOUT=str(adversarial_class.CELL_TIMEOUT_S),
                           COURSE_NOTEBOOK_TIMEOUT=str(adversarial_class.NOTEBOOK_TIMEOUT_S))
    subs, expected = _adversarial(tmp_path, None)
    for student, (status, points) in expected.items():
        folder = subs / student / "01_binary_rnn"
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()} \
            if folder.is_dir() else {}
        results = emulated_01.grade(files)
        assert results["score"] == points, (student, results["output"])


@pytest.mark.data
@pytest.mark.parametrize("assignment", ["02_sentiment_gru_mlp", "05_mode_collapse"])
def test_setup_fetches_the_data_the_notebook_loads(assignment, monkeypatch, data_root):
    """setup.sh's prefetch step: with the data already in the data root it finds it (no download)."""
    monkeypatch.setattr(gradescope, "_config", lambda: {"assignment": assignment})
    assert gradescope.prefetch() == (["imdb"] if assignment.startswith("02") else ["fashion_mnist"])
