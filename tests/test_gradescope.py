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

from autograder import course
from autograder.deploy import gradescope
from conftest import fallback_kernel_cannot_start

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


GRADESCOPE = Path("/autograder")
MARKER = ".course-kit-test"  # a /autograder this suite made (and may remove); any other is left alone


def _real_root_or_skip() -> Path:
    """Gradescope's own root, ``/autograder``: outside ``/tmp`` (which the sandbox mounts empty), owned by root,
    as the grader sees it there. The end-to-end tests need root (as on Gradescope, and in CI)."""
    if os.geteuid() != 0:
        pytest.skip("the Gradescope tests run as root in a real /autograder, as Gradescope does")
    if GRADESCOPE.exists() and not (GRADESCOPE / MARKER).exists():
        pytest.skip("/autograder exists and was not made by this suite")
    return GRADESCOPE


# How a container without CAP_SYS_ADMIN (Docker's default) fails bubblewrap: "Creating new namespace failed:
# Operation not permitted". run_autograder runs with that capability dropped from its bounding set, as root.
WITHOUT_CAP_SYS_ADMIN = ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "--"]


class Emulated:
    """One assignment's zip unpacked into ``/autograder/source`` as Gradescope does, and set up once.

    Each assignment's root replaces the last one's (there is one ``/autograder``): :meth:`grade` sets its own up
    again when another assignment's took its place."""

    def __init__(self, assignment: str, work: Path, **penalty):
        self.base, self.assignment, self.work, self.penalty = _real_root_or_skip(), assignment, work, penalty
        self.env = {**os.environ, "COURSE_PYTHON": sys.executable}
        self.env.pop("GRADESCOPE_ROOT", None)
        self._setup()

    def _setup(self) -> None:
        import shutil

        shutil.rmtree(self.base, ignore_errors=True)
        (self.base / "source").mkdir(parents=True)
        (self.base / MARKER).touch()
        zip_path = gradescope.build_zip(self.assignment, self.work / f"{self.assignment}.zip", **self.penalty)
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(self.base / "source")
        for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes; Gradescope's unzip does
            (self.base / "source" / name).chmod(0o755)
        self.setup_log = subprocess.run(["bash", str(self.base / "source" / "setup.sh")], env=self.env, check=True,
                                        capture_output=True, text=True, timeout=300).stdout

    def grade(self, files: dict[str, bytes], metadata: dict | None = None, fallback: bool = False) -> dict:
        """Put ``files`` into ``submission/``, run ``run_autograder`` (with bubblewrap failing as it does without
        CAP_SYS_ADMIN when ``fallback``); the validated ``results.json``."""
        import shutil

        config = self.base / "source" / gradescope.CONFIG
        if not config.is_file() or json.loads(config.read_text())["assignment"] != self.assignment:
            self._setup()
        for folder in ("submission", "results"):  # made afresh by Gradescope's harness, as root, 0755
            shutil.rmtree(self.base / folder, ignore_errors=True)
            (self.base / folder).mkdir(mode=0o755)
        for name, data in files.items():
            (self.base / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
            (self.base / "submission" / name).write_bytes(data)
        (self.base / "submission_metadata.json").write_text(json.dumps(metadata or {}))
        (self.base / "submission_metadata.json").chmod(0o644)
        command = [*(WITHOUT_CAP_SYS_ADMIN if fallback else []), str(self.base / "source" / "run_autograder")]
        proc = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        self.log = proc.stdout
        return _validated(self.base / "results" / "results.json")

    def remove(self) -> None:
        import shutil

        if (self.base / MARKER).exists():
            shutil.rmtree(self.base, ignore_errors=True)


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
    assert config == {"assignment": assignment, "late_penalty_per_day": 0.0, "late_penalty_max": 1.0,
                      "gradescope_timeout_s": 600, "notebook_timeout_s": 600 - gradescope.MARGIN_S}


def test_the_notebook_limit_stays_below_gradescopes_time_out_and_data_can_travel_in_the_zip(tmp_path, data_root):
    path = gradescope.build_zip("05_mode_collapse", tmp_path / "a.zip", gradescope_timeout_s=1200, with_data=True)
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("gradescope.json"))
        names = set(zf.namelist())
    assert config["notebook_timeout_s"] == 1200 - gradescope.MARGIN_S < config["gradescope_timeout_s"]
    assert "data/FashionMNIST/raw/train-images-idx3-ubyte" in names and not [n for n in names if "aclImdb" in n]
    with pytest.raises(ValueError, match="between 120"):
        gradescope.build_zip("01_binary_rnn", tmp_path / "b.zip", gradescope_timeout_s=30)


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


def test_a_result_that_scored_nothing_announces_no_late_penalty():
    from autograder.grading.outcomes import Outcome

    died = Outcome("submission", "01_binary_rnn", 0.0, 10, 3, "error", "the kernel died while running the notebook")
    config = {"late_penalty_per_day": 0.1, "late_penalty_max": 1.0}
    results = gradescope.results_for("01_binary_rnn", died, {}, 2.5, config, "", 1.0)
    assert results["score"] == 0 and "late penalty" not in results["output"], results["output"]
    assert results["output"].startswith("Not graded: the kernel died")


def test_interrupted_cells_are_named_with_the_cell_time_limit(tmp_path, monkeypatch):
    from autograder.grading.outcomes import Outcome

    monkeypatch.setenv("COURSE_CELL_TIMEOUT", "45")
    ok = Outcome("submission", "01_binary_rnn", 8.0, 10, 3, "graded", "", cells={})
    results = gradescope.results_for("01_binary_rnn", ok, {}, 0, {}, "", 1.0,
                                     interrupted=["code cell 7 (weights), starting 'while True:'"])
    assert "Interrupted at the 45 s cell time limit: code cell 7 (weights)" in results["output"]


def test_feedback_survives_a_student_cell_that_writes_the_hidden_tests_delimiter():
    from autograder.preprocessors.hide_hidden_tests import HideHiddenTests

    nb = nbformat.v4.new_notebook()
    student = nbformat.v4.new_code_cell("x = 1  # ### BEGIN HIDDEN TESTS, no end")
    student.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "answer", "locked": False}
    test = nbformat.v4.new_code_cell("assert x == 1\n### BEGIN HIDDEN TESTS\nassert x > 0\n### END HIDDEN TESTS")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1, "locked": True}
    nb.cells = [student, test]
    out, _ = HideHiddenTests(enforce_metadata=False).preprocess(nb, {})
    assert out.cells[0].source == student.source and "assert x > 0" not in out.cells[1].source


# ------------------------------------------------------------------------------------------------ sandbox paths
@pytest.mark.skipif(os.geteuid() != 0, reason="the kernel's own uid exists only when grading as root")
def test_exposed_names_what_a_kernel_uid_could_read_and_nothing_else():
    import shutil

    from autograder.grading import sandbox

    top = Path("/var/tmp") / f"course-kit-exposed-{os.getpid()}"  # reachable by any uid, as /autograder is
    try:
        (top / "closed").mkdir(parents=True)
        (top / "closed" / "secret.ipynb").write_text("x")
        (top / "closed").chmod(0o700)
        (top / "open").mkdir()
        (top / "open" / "private.txt").write_text("x")
        (top / "open" / "private.txt").chmod(0o600)
        (top / "open" / "public.txt").write_text("x")
        (top / "open" / "public.txt").chmod(0o644)
        for folder in (top, top / "open"):
            folder.chmod(0o755)
        found = sandbox.exposed([top, top / "closed" / "secret.ipynb"], limit=50)
        assert any(f.startswith(str(top / "open" / "public.txt")) for f in found), found
        assert any(f.startswith(f"{top} (folder") for f in found), found
        assert not [f for f in found if "private.txt" in f or "secret.ipynb" in f], found
        top.chmod(0o700)  # one closed folder on the way hides everything under it
        assert sandbox.exposed([top, top / "open" / "public.txt"]) == []
    finally:
        shutil.rmtree(top)


@pytest.mark.skipif(not __import__("autograder.grading.sandbox", fromlist=["x"]).bwrap_works(),
                    reason="bubblewrap cannot run here")
def test_bubblewrap_hides_a_file_as_well_as_a_folder(tmp_path):
    from autograder.grading import sandbox

    base = Path("/var/tmp") / f"course-kit-hide-{os.getpid()}"  # outside /tmp, which the sandbox replaces
    base.mkdir()
    try:
        (base / "metadata.json").write_text("secret-metadata")
        (base / "folder").mkdir()
        (base / "folder" / "x").write_text("secret-folder")
        scratch, sockets = tmp_path / "s", tmp_path / "k"
        scratch.mkdir(), sockets.mkdir()
        cmd = ["/bin/sh", "-c", f"cat {base}/metadata.json; ls {base}/folder; echo end"]
        policy = sandbox.Policy(hidden=[base / "metadata.json", base / "folder"])
        proc = subprocess.run(sandbox.wrap(cmd, scratch, sockets, policy, True), capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "end", proc.stdout
    finally:
        import shutil

        shutil.rmtree(base)


# ------------------------------------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def emulated_01(tmp_path_factory):
    root = Emulated("01_binary_rnn", tmp_path_factory.mktemp("gradescope-01"), late_penalty_per_day=0.1,
                    late_penalty_max=0.5)
    yield root
    root.remove()


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


def _hidden_lines(assignment: str) -> list[str]:
    source = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    return [line.strip() for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source
            for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
            if len(line.strip()) > 20]


def _other_checkouts() -> set[str]:
    """Other git checkouts of the kit on this development machine (a second clone running CI beside this one, say):
    a Gradescope image has none, and a clone made readable for its own sandboxed kernels would be found by the
    hunter below without telling anything about the image under test. /autograder is never excluded."""
    found = set()
    for top in ("/tmp", "/var/tmp", "/home", "/root", "/opt", "/srv", "/mnt", "/media"):
        for depth in ("*", "*/*", "*/*/*"):
            for config in Path(top).glob(f"{depth}/autograder/nbgrader_config.py"):
                checkout = config.parent.parent
                if (checkout / ".git").exists() and checkout != ROOT:
                    found.add(str(checkout))
    return found


def _hunter(assignment: str) -> str:
    """Student code that looks for the grader's secrets wherever its uid can read on a Gradescope image: every
    folder such an image has beyond the operating system's own (``/autograder``, ``/tmp``, ``/var``, homes, ``/opt``,
    ``/srv``, ``/run``, ``/mnt``, ``/media``), except the kit's development checkout, its environment and the data
    root, which Gradescope's image does not have; it checks that it can write its own scratch folder, and reports
    both through ``add_with_rnn``, which a visible test calls: its error message reaches results.json."""
    probe = sorted(_hidden_lines(assignment), key=len)[-1]
    half = len(probe) // 2
    skip = sorted({"/proc", "/sys", "/dev", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc",
                   "/boot", "/snap", "/var/lib", "/var/cache", str(ROOT), sys.prefix, str(ROOT.parent / "shared")}
                  | ({str(ROOT.parent)} if ROOT.parent not in (Path("/"), Path("/tmp")) else set())
                  | _other_checkouts())
    return f"""
import json as _json, os as _os
_probe = {probe[:half]!r} + {probe[half:]!r}
_names = {{"expected_scores.json", "gradescope.json", "submission_metadata.json", "gradebook.db", "{assignment}.ipynb"}}
_skip, _found = set({skip!r}), []
def _walk():
    for _root in ("/autograder", "/tmp", "/var", "/root", "/home", "/opt", "/srv", "/run", "/mnt", "/media"):
        for _top, _dirs, _files in _os.walk(_root):
            _dirs[:] = [d for d in _dirs if _os.path.join(_top, d) not in _skip]
            yield _top, _dirs, _files
for _top, _dirs, _files in _walk():
    for _f in _files:
        _p = _os.path.join(_top, _f)
        try:
            with open(_p, "rb") as _fh:
                _head = _fh.read(5_000_000) if _f.endswith((".ipynb", ".py", ".json", ".txt", ".db")) or _f in _names else b""
        except Exception:
            continue
        if _f in _names or _probe.encode() in _head:
            _found.append(_p)
try:
    _cache = _os.path.join(_os.environ["COURSE_CACHE_DIR"], "checkpoints", "probe")
    _os.makedirs(_cache, exist_ok=True)
    open(_os.path.join(_cache, "x"), "w").write("ok")
    _writable = True
except Exception as _e:
    _writable = repr(_e)
_report = _json.dumps({{"found": _found, "writable": _writable}})
def add_with_rnn(a, b):
    raise RuntimeError("HUNT " + _report)
"""


def _hunt_report(results: dict) -> dict:
    test = next(t for t in results["tests"] if t["name"] == "test_add_with_rnn_all_bytes")
    line = [ln for ln in test["output"].splitlines() if "RuntimeError: HUNT " in ln][-1]
    return json.loads(line.split("HUNT ", 1)[1])


@pytest.mark.slow
@pytest.mark.parametrize("fallback", [False, True], ids=["bubblewrap", "fallback-without-CAP_SYS_ADMIN"])
def test_a_hidden_test_hunter_finds_nothing_and_writes_its_scratch_in_either_sandbox_mode(emulated_01, fallback):
    if fallback and (why := fallback_kernel_cannot_start()):
        pytest.skip(f"no kernel can run without bubblewrap from this checkout: {why}")
    sys.path.insert(0, str(ROOT / "tests"))
    import adversarial_class

    nb = adversarial_class.with_code("alice", "add_with_rnn", _hunter("01_binary_rnn"))
    weights = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "weights")
    weights.source += "\n# ### BEGIN HIDDEN TESTS (a student's comment: it must not stop the grader's messages)"
    results = emulated_01.grade({"01_binary_rnn.ipynb": nbformat.writes(nb).encode()}, fallback=fallback)
    report = _hunt_report(results)
    assert report == {"found": [], "writable": True}, report
    assert ("bubblewrap could not run" in results["output"]) == fallback, results["output"]
    assert "without network isolation" in results["output"] if fallback else "no network" in results["output"]
    assert results["score"] == 10 - 2, results["output"]  # only the two add_with_rnn tests lost: the rest ran
    every = json.dumps(results)
    assert not [line for line in _hidden_lines("01_binary_rnn") if line in every]
    assert ("FALLBACK" in emulated_01.log) == fallback  # the instructor's log (stdout) has the sandbox line in full
    assert f"{600 - gradescope.MARGIN_S} s per notebook" in emulated_01.log  # below Gradescope's 600 s


@pytest.mark.parametrize("fallback", [False, True], ids=["bubblewrap", "fallback-without-CAP_SYS_ADMIN"])
def test_a_kernel_that_dies_leaves_no_process_of_the_student_running_in_either_sandbox_mode(emulated_01, fallback):
    """A submission that starts a process of its own (``setsid``: out of the kernel's process group) and then kills
    its kernel: graded 0 with the reason, and once ``run_autograder`` returns nothing runs as a kernel uid; without
    bubblewrap's PID namespace only the sandbox's clean-up of the dead kernel can stop that process."""
    if fallback and (why := fallback_kernel_cannot_start()):
        pytest.skip(f"no kernel can run without bubblewrap from this checkout: {why}")
    sys.path.insert(0, str(ROOT / "tests"))
    import adversarial_class

    from autograder.grading import sandbox

    nb = adversarial_class.with_code("alice", "weights", adversarial_class.DIES_LEAVING_A_CHILD)
    try:
        results = emulated_01.grade({"01_binary_rnn.ipynb": nbformat.writes(nb).encode()}, fallback=fallback)
        assert results["score"] == 0 and "kernel died" in results["output"], results["output"]
        left = {uid: n for uid in sandbox.UID_POOL[:20] if (n := sandbox.tasks_of(uid))}
        assert not left, f"processes of a dead kernel still run after grading (uid: count): {left}"
    finally:
        for uid in sandbox.UID_POOL[:20]:
            subprocess.run(["pkill", "-KILL", "-U", str(uid)], capture_output=True)


@pytest.mark.slow
def test_the_fallback_refuses_to_grade_when_a_secret_is_readable(emulated_01):
    solutions = emulated_01.base / "source" / "solutions"
    solutions.chmod(0o755)
    try:
        results = emulated_01.grade(_sample("alice", "01_binary_rnn"), fallback=True)
    finally:
        solutions.chmod(0o700)
    assert results["score"] == 0 and results["output"].startswith("Not graded: the autograder refused"), results
    assert str(solutions) in results["output"]


@pytest.mark.slow
def test_setup_leaves_the_graders_files_to_root_alone(emulated_01):
    source = emulated_01.base / "source"
    for name in ("solutions", "autograder", "gradescope.json"):
        for path in [source / name, *(source / name).rglob("*")]:
            assert not path.stat().st_mode & 0o077, f"{path} is {path.stat().st_mode & 0o777:o}"
    for name in ("course_utils", "grading_kernel"):  # the kernel imports these
        assert (source / name).stat().st_mode & 0o005 == 0o005


@pytest.mark.slow
def test_another_assignments_notebook_is_refused_with_a_reason_not_an_internal_error(emulated_01):
    other = (ROOT / "notebooks" / "03_gmm_gan" / "03_gmm_gan.ipynb").read_bytes()
    results = emulated_01.grade({"03_gmm_gan.ipynb": other})
    assert "internal error" not in results["output"] and "KeyError" not in results["output"], results["output"]
    # the zip holds 01's source only: it cannot name the other assignment
    assert results["output"].startswith("Not graded: this is not a notebook of 01_binary_rnn"), results["output"]
    assert results["score"] == 0


def test_each_released_notebook_is_recognised_as_its_own_assignments_and_no_other():
    from autograder.grading import preflight

    for theirs in course.assignments():
        path = ROOT / "notebooks" / theirs / f"{theirs}.ipynb"
        for graded in course.assignments():
            reason = preflight.check_assignment(path, graded)
            assert (reason == "") == (theirs == graded), (theirs, graded, reason)
            if reason:
                assert reason.startswith(f"this is the notebook of {theirs}, not of {graded}")


# ------------------------------------------------------------------------------------------------ extended
@pytest.mark.extended
@pytest.mark.parametrize("assignment", course.assignments())
def test_every_sample_class_on_gradescope_scores_as_the_kit_grades(assignment, sample_class, tmp_path):
    outcomes, _, _ = sample_class
    emulated = Emulated(assignment, tmp_path)
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


def test_a_data_step_that_cannot_get_the_data_says_to_build_the_zip_with_it(monkeypatch):
    import importlib

    from course_utils.data import DataUnavailable

    fm = importlib.import_module("course_utils.data.fashion_mnist")  # the module (the package exports the function)

    def offline(*args, **kwargs):
        raise DataUnavailable("Fashion-MNIST is not in /nowhere and could not be downloaded.")

    monkeypatch.setattr(fm, "fashion_mnist", offline)
    monkeypatch.setattr(gradescope, "_config", lambda: {"assignment": "05_mode_collapse"})
    with pytest.raises(DataUnavailable, match="--with-data"):
        gradescope.prefetch()
    monkeypatch.setattr(gradescope, "_config", lambda: {"assignment": "03_gmm_gan"})
    assert gradescope.prefetch() == []  # an assignment that loads no data never fails the build


def test_messages_survive_a_student_added_cell_with_an_unclosed_delimiter_and_name_an_interrupted_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    added = nbformat.v4.new_code_cell("# ### BEGIN HIDDEN TESTS, a cell the student added", execution_count=1)
    looping = nbformat.v4.new_code_cell("while True:\n    pass", execution_count=2, outputs=[nbformat.v4.new_output(
        "error", ename="KeyboardInterrupt", evalue="", traceback=["KeyboardInterrupt"])])
    looping.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "weights", "locked": False}
    test = nbformat.v4.new_code_cell("assert ok\n### BEGIN HIDDEN TESTS\nassert secret_check\n### END HIDDEN TESTS",
                                     execution_count=3, outputs=[nbformat.v4.new_output(
                                         "error", ename="AssertionError", evalue="ok was False",
                                         traceback=["assert secret_check", "AssertionError: ok was False"])])
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1, "locked": True}
    nb.cells = [added, looping, test]
    path = tmp_path / "graded.ipynb"
    nbformat.write(nb, path)
    messages, interrupted = gradescope.cell_messages(path)
    assert messages["t"] == "AssertionError: ok was False"
    assert interrupted == ["code cell 2 (weights), starting 'while True:'"]
