"""Concurrent and distributed grading (autograder/grading/engine.py) against serial grading.

Serial grading (:func:`autograder.grading.engine.grade_class`) is the reference: the concurrent path must give the
same scores, cell by cell, with one consistent gradebook, and must not lose a submission when a worker dies.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import pytest

from autograder import course
from autograder.grading import engine, gradebook

from autograder.grading.outcomes import STATUS_OK
from conftest import SAMPLES

pytestmark = pytest.mark.slow
A = "01_binary_rnn"
STUDENTS = ("alice", "bob", "carol")  # full, zero and partial scores (dave and erin add two more correct ones)


def _gradebook_scores(ws: course.Workspace, assignment: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        return {sub.student_id: {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
                for sub in gb.find_assignment(assignment).submissions}


def _table(outcomes):
    return {(o.student, o.assignment): (o.status, o.score, dict(sorted(o.cells.items()))) for o in outcomes}


@pytest.fixture(scope="module")
def serial_and_parallel(tmp_path_factory, sample_class):
    """Notebook 01 of the sample class graded serially here, against the session's concurrent grading of it."""
    subs = tmp_path_factory.mktemp("subs")
    for student in STUDENTS:
        shutil.copytree(SAMPLES / student / A, subs / student / A)
    serial_ws = course.Workspace(tmp_path_factory.mktemp("serial"))
    serial, _ = engine.grade_class(subs, serial_ws, [A], feedback=False, progress=False)
    by_key, parallel_ws, notes = sample_class
    concurrent = [o for (s, a), o in sorted(by_key.items()) if a == A and s in STUDENTS]
    return serial, serial_ws, concurrent, parallel_ws, notes


def test_concurrent_grading_gives_the_serial_scores_cell_by_cell(serial_and_parallel):
    serial, _, concurrent, _, notes = serial_and_parallel
    assert _table(concurrent) == _table(serial)
    assert {o.student for o in concurrent} == set(STUDENTS)
    assert any(o.score == o.max_score for o in concurrent) and any(0 < o.score < o.max_score for o in concurrent), \
        "the sample class mixes full, partial and zero scores"
    assert any(n.startswith("engine: in-process Dask cluster, 2 threads") for n in notes), notes


def test_concurrent_grading_fills_one_gradebook_and_the_feedback_folders(serial_and_parallel):
    _, serial_ws, _, parallel_ws, _ = serial_and_parallel
    concurrent = {s: v for s, v in _gradebook_scores(parallel_ws, A).items() if s in STUDENTS}
    assert concurrent == _gradebook_scores(serial_ws, A)
    for student in ("alice", "bob", "carol", "dave", "erin"):
        assert (parallel_ws.feedback / student / A / f"{A}.html").is_file(), f"feedback for {student}"
        assert (parallel_ws.autograded / student / A / f"{A}.ipynb").is_file(), f"autograded notebook of {student}"
        assert (parallel_ws.submitted / student / A / f"{A}.ipynb").is_file(), f"submitted copy of {student}"
    assert not (parallel_ws.root / ".jobs").exists(), "no job files left in the workspace"


def test_gradebook_rows_survive_an_export_and_import(serial_and_parallel, tmp_path):
    _, serial_ws, _, _, _ = serial_and_parallel
    rows = gradebook.export_rows(serial_ws.gradebook, A, "carol")
    copy = tmp_path / "gradebook.db"
    shutil.copyfile(serial_ws.gradebook, copy)
    gradebook.import_rows(copy, A, "carol", rows)  # replaces carol's submission with the same rows
    assert gradebook.export_rows(copy, A, "carol") == rows
    assert gradebook.export_rows(copy, A, "nobody") is None, "a student never graded has no rows"


def test_a_worker_killed_midway_loses_no_submission(tmp_path):
    """Two worker processes; SIGKILL one while it grades. Dask reruns its jobs; every score arrives once."""
    subs = tmp_path / "subs"
    for student in ("alice", "bob", "carol", "dave"):
        shutil.copytree(SAMPLES / student / A, subs / student / A)
    ws = course.Workspace(tmp_path / "ws")
    killed = {}

    def kill_a_busy_worker(client, futures):
        def killer():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                busy = [addr for addr, keys in client.processing().items() if keys]
                if busy:
                    time.sleep(3)  # let its grading process get going
                    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed["pid"] = pid
                time.sleep(0.2)

        threading.Thread(target=killer, daemon=True).start()

    outcomes, _ = engine.grade_class_parallel(subs, ws, [A], feedback=False, jobs=2, processes=True,
                                                progress=False, on_submitted=kill_a_busy_worker)
    assert killed, "the test never found a busy worker to kill"
    expected = {"alice": 10.0, "bob": 0.0, "carol": 5.0, "dave": 10.0}
    assert {o.student: o.score for o in outcomes} == expected
    assert all(o.status == STATUS_OK for o in outcomes), [(o.student, o.reason) for o in outcomes]
    assert {s: sum(x or 0 for x in v.values()) for s, v in _gradebook_scores(ws, A).items()} == expected, \
        "each student once in the gradebook, with the right score"
