"""Grading a class end to end: the bundled samples, and submissions that are broken or tricky.

Each test grades into a throw-away workspace, never the instructor's gradebook.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.grading import engine

from autograder.grading.outcomes import LEDGER, STATUS_ABSENT, STATUS_OK, STATUS_PROBLEM, read_ledger
from conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow
A = "01_binary_rnn"


def _hidden_lines(assignment: str) -> list[str]:
    """Distinctive code lines from the hidden test regions of the solution notebook."""
    nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    lines = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 25:
                lines.append(line.strip())
    return lines


def _visible_text(path) -> str:
    """The text a student reads in an HTML feedback file (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_sample_submissions_earn_their_expected_scores(sample_class, expected_scores):
    outcomes, _, _ = sample_class
    got = {s: {a: outcomes[(s, a)].score for a in scores} for s, scores in expected_scores.items()}
    assert got == expected_scores
    for (student, assignment), o in outcomes.items():
        submitted = assignment in expected_scores.get(student, {})
        assert o.status == (STATUS_OK if submitted else STATUS_ABSENT), o


def test_each_grading_records_where_its_time_went(sample_class):
    outcomes, ws, _ = sample_class
    ledger = read_ledger(ws)
    for key, o in outcomes.items():
        if o.status != STATUS_OK:
            continue
        t = o.timings
        assert t.get("autograde_s", 0) > 0 and t.get("feedback_s", 0) > 0, f"{key}: timings {t}"
        assert t["autograde_s"] + t["feedback_s"] <= o.seconds, f"{key}: worker's {t} longer than the grading's {o.seconds} s"
        assert ledger[key].timings == t, f"{key}: the ledger lost the timings"
        # CPU seconds: the kernel imports torch (well over a second) and cannot use more than every core for
        # the whole grading; the worker always does some of nbgrader's work itself
        assert 1.0 < t.get("kernel_cpu_s", 0) <= o.seconds * (os.cpu_count() or 1) + 1, f"{key}: kernel CPU {t}"
        assert t.get("worker_cpu_s", 0) > 0, f"{key}: the worker's CPU seconds were not recorded: {t}"


def test_gradebook_agrees_with_the_report(sample_class):
    from nbgrader.api import Gradebook

    outcomes, ws, _ = sample_class
    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        for (student, assignment), o in outcomes.items():
            if o.status != STATUS_OK:
                continue
            sub = gb.find_submission(assignment, student)
            auto = sum(g.auto_score or 0 for nb in sub.notebooks for g in nb.grades if g.name in o.cells)
            assert auto == o.score, f"{student}: gradebook has {auto}, report says {o.score}"


def test_feedback_exists_and_never_shows_hidden_test_source(sample_class):
    outcomes, ws, _ = sample_class
    hidden = _hidden_lines(A)
    assert len(hidden) > 10
    for (student, assignment), o in outcomes.items():
        if o.status != STATUS_OK:
            continue
        page = ws.feedback / student / assignment / f"{assignment}.html"
        assert page.is_file(), f"no feedback for {student}"
        text = _visible_text(page)
        # a student's own code may coincide with a line of the tests; only lines they did not write count
        own = (SAMPLES / student / assignment / f"{assignment}.ipynb").read_text()
        leaked = [line for line in hidden if line in text and line not in own]
        assert not leaked, f"feedback for {student} shows hidden test code: {leaked[:3]}"
        assert "BEGIN HIDDEN TESTS" not in text
    # ... while the failing hidden test's message still reaches the student
    assert "sigma(0) must be 0" in _visible_text(ws.feedback / "carol" / A / f"{A}.html")


def _alice() -> dict:
    return json.loads((SAMPLES / "alice" / A / f"{A}.ipynb").read_text())


def _write(folder, name, content):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _without_cells(nb: dict, grade_ids: set[str]) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["cells"] = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in grade_ids]
    return nb


@pytest.fixture(scope="module")
def tricky_class(tmp_path_factory):
    subs = tmp_path_factory.mktemp("tricky")
    # A correct answer that writes warnings to stderr while the tests run.
    warner = _alice()
    for cell in warner["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "encode_addition":
            src = "".join(cell["source"])
            cell["source"] = ("import sys, warnings\n" + src.replace(
                "    T = ", "    warnings.warn('a harmless UserWarning', UserWarning)\n"
                           "    print('debug output on stderr', file=sys.stderr)\n    T = ", 1))
    _write(subs / "warner" / A, f"{A}.ipynb", warner)
    # Grade cells deleted: they come back from the source and run.
    gone = {"test_weights_add", "test_add_with_rnn_64_bit"}
    _write(subs / "deleter" / A, f"{A}.ipynb", _without_cells(_alice(), gone))
    blank = json.loads((SAMPLES / "bob" / A / f"{A}.ipynb").read_text())
    _write(subs / "deleterblank" / A, f"{A}.ipynb", _without_cells(blank, gone))
    # Deleted after a locked given cell and after a markdown cell (nbgrader 0.9.6 raised KeyError: 0 points).
    _write(subs / "deleter2" / A, f"{A}.ipynb", _without_cells(_alice(), {"test_add_with_rnn_all_bytes", "answer_hidden_units"}))
    # Broken files.
    _write(subs / "badjson" / A, f"{A}.ipynb", '{"cells": [ {"cell_type": "code", ')
    _write(subs / "empty" / A, f"{A}.ipynb", b"")
    _write(subs / "oldformat" / A, f"{A}.ipynb", {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []})
    _write(subs / "missing" / A, "notes.txt", "I forgot to upload the notebook")
    # Renamed notebook with an extra file next to it: graded, with a note.
    _write(subs / "renamed" / A, f"{A} (1).ipynb", _alice())
    _write(subs / "renamed" / A, "scratch.bin", b"\x00" * 1000)
    _write(subs, "README.txt", "not a student")
    ws = course.Workspace(tmp_path_factory.mktemp("tricky-ws"))
    from autograder.grading import engine  # the default engine; test_parallel_grading compares it with serial grading

    outcomes, notes = engine.grade_class_parallel(subs, ws, jobs=2, progress=False)
    return {o.student: o for o in outcomes}, notes, ws


def test_a_warning_on_stderr_does_not_cost_points(tricky_class):
    outcomes, _, _ = tricky_class
    assert outcomes["warner"].score == 10, outcomes["warner"]


def test_deleted_grade_cells_are_restored_and_run(tricky_class):
    outcomes, _, ws = tricky_class
    assert outcomes["deleter"].score == 10
    assert outcomes["deleter"].cells.keys() >= {"test_weights_add", "test_add_with_rnn_64_bit"}
    assert outcomes["deleterblank"].score == 0
    graded = nbformat.read(ws.autograded / "deleter" / A / f"{A}.ipynb", as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in graded.cells]
    assert "test_weights_add" in ids and "test_add_with_rnn_64_bit" in ids


def test_cells_deleted_after_given_or_markdown_cells_are_restored(tricky_class):
    outcomes, _, ws = tricky_class
    assert outcomes["deleter2"].score == 10, outcomes["deleter2"]
    graded = nbformat.read(ws.autograded / "deleter2" / A / f"{A}.ipynb", as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in graded.cells]
    assert ids.index("test_add_with_rnn_all_bytes") == ids.index("try-it") + 1
    assert ids[-1] == "answer_hidden_units", "the written answer is back for the grader, after its markdown cell"


@pytest.mark.parametrize("student, reason", [
    ("badjson", "not valid JSON"),
    ("empty", "empty file"),
    ("oldformat", "notebook format version 3 is not supported"),
    ("missing", "missing notebook 01_binary_rnn.ipynb"),
])
def test_broken_submissions_score_zero_with_a_reason(tricky_class, student, reason):
    outcomes, _, _ = tricky_class
    o = outcomes[student]
    assert (o.score, o.status) == (0, STATUS_PROBLEM)
    assert reason in o.reason and "\n" not in o.reason


def test_renamed_notebook_is_graded_with_a_note(tricky_class):
    outcomes, notes, _ = tricky_class
    assert outcomes["renamed"].score == 10
    assert "renamed" in outcomes["renamed"].reason
    assert any("README.txt" in n for n in notes)


def test_regrading_replaces_the_earlier_score(tmp_path):
    subs = tmp_path / "subs"
    ws = course.Workspace(tmp_path / "ws")
    _write(subs / "sam" / A, f"{A}.ipynb", _alice())
    first, _ = engine.grade_class(subs, ws, progress=False, feedback=False)
    # The student resubmits a broken file: no stale 10 may survive, in the report or the gradebook.
    _write(subs / "sam" / A, f"{A}.ipynb", "garbage")
    second, _ = engine.grade_class(subs, ws, progress=False, feedback=False)
    assert (first[0].score, second[0].score) == (10, 0)
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        with pytest.raises(MissingEntry):
            gb.find_submission(A, "sam")


def test_grade_command_writes_csv_and_prints_the_table(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(SAMPLES / "bob", subs / "bob")
    _write(subs / "zed" / A, f"{A}.ipynb", "{}")
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--workspace", str(tmp_path / "ws"),
                           "--no-feedback", "--assignment", A], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"bob\s+0/10\s+0/10", proc.stdout), proc.stdout
    assert "zed/01_binary_rnn: [problem] JSON, but not a notebook" in proc.stdout
    rows = list(csv.DictReader((tmp_path / "ws" / "grades.csv").open()))
    assert {(r["student"], r["score"], r["max_score"]) for r in rows} == {("bob", "0.0", "10.0"), ("zed", "0.0", "10.0")}


def test_a_new_workspace_is_unreadable_to_other_users_of_the_machine():
    """The grade command run in a world-traversable folder (``/tmp``, a shared course folder): the workspace it
    creates holds the gradebook (hidden tests) and the class's graded notebooks, so another uid must be unable to
    read or list any of it whatever the umask. Checked as that uid would: a process of its own trying to read."""
    import tempfile

    if os.geteuid() != 0:
        pytest.skip("needs root to act as a second uid")
    python = shutil.which("python3", path="/usr/bin:/bin")  # the kit's own may sit in root's private home
    if python is None:
        pytest.skip("no system python3 for the second uid to run")
    shared = Path(tempfile.mkdtemp(prefix="shared-course-"))
    try:
        shared.chmod(0o755)
        shutil.copytree(SAMPLES / "bob", shared / "subs" / "bob")
        ws = shared / "ws"
        old = os.umask(0o022)
        try:
            proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(shared / "subs"), "--workspace",
                                   str(ws), "--assignment", A], capture_output=True, text=True, cwd=ROOT, timeout=600)
        finally:
            os.umask(old)
        assert proc.returncode == 0, proc.stderr
        assert ws.joinpath("gradebook.db").is_file() and any(ws.joinpath("autograded").rglob("*.ipynb"))
        probe = ("import os, sys\n"
                 "for p in sys.argv[1:]:\n"
                 "    try:\n"
                 "        open(p, 'rb').read(1) if os.path.isfile(p) else os.listdir(p)\n"
                 "        print('READ', p)\n"
                 "    except OSError:\n"
                 "        pass\n")
        targets = [ws / "gradebook.db", ws / "autograded", ws / "feedback", ws]
        other = subprocess.run([python, "-c", probe, *map(str, targets)], user=65534, group=65534,
                               extra_groups=[], capture_output=True, text=True, timeout=60, cwd="/")
        assert other.returncode == 0, other.stderr
        assert other.stdout == "", f"another user of the machine could read the grading workspace:\n{other.stdout}"
        assert ws.stat().st_mode & 0o777 == 0o700, f"workspace mode {ws.stat().st_mode & 0o777:o}, expected 700"
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_a_run_killed_midway_and_restarted_finishes_the_class(tmp_path):
    """SIGKILL the grading run after its first notebook; a second run grades everyone exactly once."""
    import os
    import signal
    import time

    subs = tmp_path / "subs"
    for student in ("alice", "bob", "carol"):
        shutil.copytree(SAMPLES / student / A, subs / student / A)
    ws = tmp_path / "ws"
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--workspace", str(ws), "--no-feedback",
           "--assignment", A, "--jobs", "1"]
    first = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    ledger = ws / LEDGER  # one line per merged grading
    while time.monotonic() < deadline and not (ledger.is_file() and ledger.read_text().count("\n") >= 1):
        time.sleep(0.2)
    os.kill(first.pid, signal.SIGKILL)  # midway: the second notebook is being graded now
    first.wait()
    time.sleep(1)
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:]
    rows = list(csv.DictReader((ws / "grades.csv").open()))
    assert sorted((r["student"], float(r["score"])) for r in rows) == [("alice", 10.0), ("bob", 0.0), ("carol", 5.0)]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{ws / 'gradebook.db'}") as gb:
        subs_in_db = sorted(s.student_id for s in gb.find_assignment(A).submissions)
        assert subs_in_db == ["alice", "bob", "carol"], "each student exactly once in the gradebook"
        scores = {s.student_id: s.score for s in gb.find_assignment(A).submissions}
        assert scores == {"alice": 10, "bob": 0, "carol": 5}


def test_the_worker_has_one_mode_and_says_how_to_use_it():
    """Issue 41: the grading worker serves job files on stdin (``--serve``); the one-shot mode is gone, and a call
    in its old form gets a usage line and exit status 2 instead of a traceback."""
    proc = subprocess.run([sys.executable, "-m", "autograder.grading.worker", "job.json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "usage: python -m autograder.grading.worker --serve" in proc.stderr, proc.stderr


@pytest.mark.slow
def test_grading_in_place_in_an_nbgrader_course_keeps_collects_files_and_applies_the_late_rule(tmp_path, monkeypatch):
    """An nbgrader course after ``collect``: the kit grades its ``submitted/`` folder in place. The files collect wrote
    stay; ``timestamp.txt`` travels through the private grading workspace, so the gradebook has the submission time,
    the course's late rule applies against the due date the instructor set, and the feedback folder has the
    ``timestamp.txt`` that ``release_feedback`` needs."""
    from datetime import datetime

    from nbgrader.api import Gradebook

    a = "01_binary_rnn"
    ws = course.Workspace(tmp_path / "course")
    folder = ws.submitted / "alice" / a
    folder.mkdir(parents=True)
    shutil.copyfile(SAMPLES / "alice" / a / f"{a}.ipynb", folder / f"{a}.ipynb")
    collected = {"timestamp.txt": "2026-12-08 12:00:00.000000 UTC", "submission_secret.txt": "s3cret",
                 "notes.txt": "a file the student handed in"}
    for name, text in collected.items():
        (folder / name).write_text(text)
    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        gb.update_or_create_assignment(a, duedate=datetime(2026, 12, 7, 0, 0))
    monkeypatch.setenv("COURSE_LATE_PENALTY_PER_DAY", "0.1")  # 1.5 days late: two started days, 20 %

    outcomes, _ = engine.grade_class_parallel(ws.submitted, ws, [a], jobs=1, progress=False)
    assert [(o.score, o.late_penalty) for o in outcomes] == [(8.0, 2.0)], outcomes  # the grade table's score
    assert "late: 2 points taken" in outcomes[0].reason, outcomes[0].reason
    for name, text in collected.items():
        assert (folder / name).read_text() == text, f"grading in place changed or removed {name}"
    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        submission = gb.find_submission(a, "alice")
        assert submission.timestamp == datetime(2026, 12, 8, 12, 0)
        assert submission.late_submission_penalty == pytest.approx(2.0)
        assert submission.score - submission.late_submission_penalty == pytest.approx(8.0)
    assert (ws.feedback / "alice" / a / "timestamp.txt").read_text().startswith("2026-12-08 12:00")
    assert (ws.autograded / "alice" / a / "timestamp.txt").is_file()


def test_without_bubblewrap_grading_refuses_when_student_code_could_read_the_solutions(tmp_path, monkeypatch):
    """The fallback (no working bubblewrap) hides nothing by itself: where the kernel's uid could read a hidden path
    (this checkout's solutions are world-readable), grading stops before any student code runs, naming the path."""
    from autograder.grading import sandbox

    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    subs = tmp_path / "subs" / "alice" / "01_binary_rnn"
    subs.mkdir(parents=True)
    shutil.copyfile(SAMPLES / "alice" / "01_binary_rnn" / "01_binary_rnn.ipynb", subs / "01_binary_rnn.ipynb")
    exposed = sandbox.exposed([course.SOLUTIONS])
    if not exposed:
        pytest.skip("this checkout's solutions are not readable by other users: nothing to refuse")
    with pytest.raises(engine.SandboxExposed, match="solutions"):
        engine.grade_class_parallel(tmp_path / "subs", course.Workspace(tmp_path / "ws"), ["01_binary_rnn"], jobs=1,
                                    progress=False)
    assert not (tmp_path / "ws" / "autograded").exists()
