"""An adversarial class: hostile and broken submissions graded in one batch with honest ones.

Every honest submission must get exactly its score, every hostile one must be contained (it reads,
writes, connects or leaks nothing it should not, and cannot buy points) and reported with a one-line
reason when it could not be graded normally, and the whole batch must finish in bounded time.
The class uses notebook 01 (quick to grade); the hostile code is appended to a solution cell.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder import course, grade, parallel, sandbox
from conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow
A = "01_binary_rnn"
SECRET = "course-test-secret-7f3a"


def _sample(student: str) -> dict:
    return nbformat.read(SAMPLES / student / A / f"{A}.ipynb", as_version=4)


def _with_code(student: str, grade_id: str, code: str, before: bool = False) -> dict:
    nb = _sample(student)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = f"{code}\n{cell.source}" if before else f"{cell.source}\n{code}"
            return nb
    raise KeyError(grade_id)


def _probe(paths: list[str], mode: str) -> str:
    """Code that tries to open each path and prints LEAK or BLOCKED for it."""
    return (
        "for _p in " + repr(paths) + ":\n"
        "    try:\n"
        f"        with open(_p, {mode!r}) as _f:\n"
        + ("            _f.write('owned')\n" if "w" in mode or "a" in mode else "            _f.read(100)\n")
        + "        print('LEAK', _p)\n"
        "    except Exception as _e:\n"
        "        print('BLOCKED', _p, type(_e).__name__)\n"
    )


TAMPER = """
import builtins, sys, types
import numpy, numpy.testing, torch
import course_utils.checks
expect_array_equal = expect_true = expect_equal = expect_binary = expect_shape = lambda *a, **k: None
course_utils.checks.expect_array_equal = lambda *a, **k: None
course_utils.checks.expect_true.__code__ = (lambda *a, **k: None).__code__
numpy.testing.assert_array_equal = lambda *a, **k: None
torch.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
builtins.all = lambda *a, **k: True
sys.modules["course_utils.checks"] = types.ModuleType("fake_checks")
"""

TRANSFORMER = """
def _empty(lines):
    return ["pass\\n"]
get_ipython().input_transformers_cleanup.append(_empty)
get_ipython().events.register("pre_run_cell", lambda *a: None)
"""


@pytest.fixture(scope="module")
def loopback_server():
    """A TCP server on the host's loopback that records whether anything connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    hits: list[str] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                hits.append("connected")
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture(scope="module")
def adversarial_batch(tmp_path_factory, loopback_server):
    port, hits = loopback_server
    subs = tmp_path_factory.mktemp("class")
    ws = course.Workspace(tmp_path_factory.mktemp("ws"))
    ws.root.mkdir(parents=True, exist_ok=True)
    gradebook_probe = str(ws.gradebook)
    secrets = [str(course.SOLUTIONS / A / f"{A}.ipynb"), str(ROOT / "autograder" / "nbgrader_config.py"),
               gradebook_probe, str(subs / "alice" / A / f"{A}.ipynb"), str(ROOT / ".git" / "HEAD")]
    writable = [str(ROOT / "results" / "evil.json"), str(ROOT / "course_utils" / "evil.py"), gradebook_probe,
                str(ROOT / "notebooks" / "evil.txt")]

    def put(student: str, content) -> None:
        folder = subs / student / A
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{A}.ipynb"
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            nbformat.write(content, path)

    # honest
    put("alice", _sample("alice"))
    put("bob", _sample("bob"))
    put("carol", _sample("carol"))
    # broken
    put("badjson", '{"cells": [')
    put("oldversion", json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}))
    put("emptyfile", b"")
    (subs / "hugefile" / A).mkdir(parents=True)
    with open(subs / "hugefile" / A / f"{A}.ipynb", "wb") as fh:
        fh.truncate(100 * 2**20)  # a sparse 100 MB file
    (subs / "nonotebook" / A).mkdir(parents=True)
    (subs / "nonotebook" / A / "answers.txt").write_text("see attached")
    # hostile (on top of correct answers: they must not lose what they earned honestly)
    put("loop", _with_code("alice", "encode_addition", "while True:\n    pass"))
    put("loopnosigint", _with_code("alice", "encode_addition",
                                   "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"))
    put("forkbomb", _with_code("alice", "weights", (
        "import os, time\n_n = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(20)\n            os._exit(0)\n        _n += 1\n"
        "except OSError as _e:\n    print('fork refused after', _n, 'children')")))
    put("membomb", _with_code("alice", "weights", (
        "try:\n    _big = bytearray(64 * 2**30)\n    print('LEAK allocated 64 GiB')\n"
        "except MemoryError:\n    print('BLOCKED memory')")))
    # 50,000 lines, 50 times the output limit (printing them takes about 10 s while two gradings share two cores)
    put("hugeoutput", _with_code("alice", "weights", "for _i in range(50_000):\n    print('spam', _i)"))
    put("readsecrets", _with_code("alice", "weights", _probe(secrets, "r")))
    put("writefiles", _with_code("alice", "weights", _probe(writable, "w")))
    put("network", _with_code("alice", "weights", (
        "import socket\ntry:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n    print('LEAK connected')\n"
        "except OSError as _e:\n    print('BLOCKED network', type(_e).__name__)")))
    put("envsecret", _with_code("alice", "weights",
                                f"import os\nprint('LEAK env' if any('{SECRET}' in v for v in os.environ.values()) else 'BLOCKED env')"))
    put("osexit", _with_code("alice", "weights", "import os\nos._exit(0)"))
    put("segfault", _with_code("alice", "weights", "import ctypes\nctypes.string_at(0)"))
    # tampering on top of carol's wrong answers: must still score carol's 5, not more
    put("monkeypatch", _with_code("carol", "weights", TAMPER))
    put("transformer", _with_code("carol", "weights", TRANSFORMER))

    old = {k: os.environ.get(k) for k in ("COURSE_CELL_TIMEOUT", "COURSE_TEST_SECRET")}
    # The cell limit stops the infinite loops; it must leave room for the honest work of a correct notebook 01:
    # its all-pairs test and its results cell each run 65,536 additions, 9.7 s and 10.5 s alone on the 2-core
    # AMD EPYC of 2026-12-02 and more with two gradings at once. A 10 s limit (before) cut honest cells at random.
    os.environ["COURSE_CELL_TIMEOUT"] = "30"
    os.environ["COURSE_TEST_SECRET"] = SECRET
    start = time.monotonic()
    try:
        # the default engine: concurrent sandboxed gradings merged into one gradebook
        outcomes, notes = parallel.grade_class_parallel(subs, ws, jobs=2, progress=False, feedback=True, timeout=120)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.monotonic() - start
    # keep the batch's report as a test artifact (artifacts/ is git-ignored)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "adversarial_report.txt").write_text(
        "\n".join([*notes, "", grade.format_table(outcomes), "", f"batch wall time: {seconds:.0f} s", ""])
        + "\n".join(f"{o.student:14s} {o.status:8s} {o.score:4.0f}/{o.max_score:g} {o.seconds:6.1f}s  {o.reason}"
                    for o in outcomes))
    return {o.student: o for o in outcomes}, notes, ws, seconds, hits


def _graded_text(ws, student: str) -> str:
    """Everything the graded notebook's cells printed or raised (outputs only, not the code)."""
    path = ws.autograded / student / A / f"{A}.ipynb"
    if not path.is_file():
        return ""
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if out.get("output_type") == "stream"
                         else f"{out.get('ename', '')}: {out.get('evalue', '')}")
    return "\n".join(parts)


def test_honest_submissions_get_exactly_their_scores(adversarial_batch):
    outcomes, *_ = adversarial_batch
    assert {s: outcomes[s].score for s in ("alice", "bob", "carol")} == {"alice": 10, "bob": 0, "carol": 5}
    assert all(outcomes[s].status == grade.STATUS_OK for s in ("alice", "bob", "carol"))


@pytest.mark.parametrize("student, reason", [
    ("badjson", "not valid JSON"),
    ("oldversion", "notebook format version 3"),
    ("emptyfile", "empty file"),
    ("hugefile", "file too large (105 MB"),
    ("nonotebook", "missing notebook"),
])
def test_broken_files_are_reported_and_score_zero(adversarial_batch, student, reason):
    o = adversarial_batch[0][student]
    assert (o.score, o.status) == (0, grade.STATUS_PROBLEM) and reason in o.reason and "\n" not in o.reason


def test_an_interrupted_infinite_loop_costs_only_its_own_cell(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    assert (outcomes["loop"].status, outcomes["loop"].score) == (grade.STATUS_OK, 10)
    assert "CellTimeoutError" in _graded_text(ws, "loop") or "KeyboardInterrupt" in _graded_text(ws, "loop")


def test_a_loop_that_ignores_sigint_hits_the_notebook_time_limit(adversarial_batch):
    o = adversarial_batch[0]["loopnosigint"]
    assert (o.status, o.score) == (grade.STATUS_ERROR, 0)
    assert "did not stop when interrupted" in o.reason or "time limit exceeded" in o.reason, o.reason
    assert o.seconds < 150


@pytest.mark.parametrize("student", ["osexit", "segfault"])
def test_a_dying_kernel_is_reported_and_scores_zero(adversarial_batch, student):
    o = adversarial_batch[0][student]
    assert (o.status, o.score) == (grade.STATUS_ERROR, 0) and "\n" not in o.reason
    assert "kernel died" in o.reason, o.reason


def test_resource_bombs_are_contained(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    for student in ("forkbomb", "membomb", "hugeoutput"):
        assert (outcomes[student].status, outcomes[student].score) == (grade.STATUS_OK, 10), outcomes[student]
    assert "BLOCKED memory" in _graded_text(ws, "membomb")
    if sandbox.drops_privileges():
        assert "fork refused after" in _graded_text(ws, "forkbomb")
    graded = ws.autograded / "hugeoutput" / A / f"{A}.ipynb"
    assert graded.stat().st_size < 2_000_000, "the output limit (1000 lines) should cut 50,000 lines to a small notebook"


@pytest.mark.skipif(not sandbox.bwrap_works(), reason="bubblewrap is not available: no file-system or network isolation")
@pytest.mark.parametrize("student", ["readsecrets", "writefiles", "network", "envsecret"])
def test_the_sandbox_blocks_reads_writes_network_and_secrets(adversarial_batch, student):
    outcomes, _, ws, _, hits = adversarial_batch
    text = _graded_text(ws, student)
    assert outcomes[student].score == 10 and "BLOCKED" in text and "LEAK" not in text
    assert not hits, "a sandboxed kernel reached a server on the host's loopback"
    for evil in ("results/evil.json", "course_utils/evil.py", "notebooks/evil.txt"):
        assert not (ROOT / evil).exists()


def test_tampering_with_checks_or_ipython_buys_no_points(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    for student in ("monkeypatch", "transformer"):
        assert outcomes[student].score == 5, f"{student} scored {outcomes[student].score}, the honest answer earns 5"
        assert "[grader] restored" in _graded_text(ws, student)


def test_gradebook_is_consistent_and_batch_time_bounded(adversarial_batch):
    from nbgrader.api import Gradebook, MissingEntry

    outcomes, notes, ws, seconds, _ = adversarial_batch
    assert notes[0].startswith("sandbox:")
    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        for student, o in outcomes.items():
            if o.status == grade.STATUS_OK:
                sub = gb.find_submission(A, student)
                auto = sum(g.auto_score or 0 for nb in sub.notebooks for g in nb.grades if g.name in o.cells)
                assert auto == o.score
            else:
                with pytest.raises(MissingEntry):
                    gb.find_submission(A, student)
    assert seconds < 900, f"the adversarial batch took {seconds:.0f} s"


def test_feedback_of_hostile_submissions_has_no_hidden_tests(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    for student, o in outcomes.items():
        page = ws.feedback / student / A / f"{A}.html"
        if page.is_file():
            assert "BEGIN HIDDEN TESTS" not in page.read_text() and "_reference_forward" not in page.read_text()
