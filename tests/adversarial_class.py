"""The adversarial class of notebook 01: honest, broken and hostile submissions, and what each must get.

Shared by ``tests/test_adversarial.py`` (one batch, every outcome checked) and the stress mode of
``benchmarks/grading.py`` (the same class graded again and again, under load, with the same outcomes).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from autograder import course

from autograder.grading.outcomes import STATUS_ERROR, STATUS_OK, STATUS_PROBLEM

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "submissions"
A = "01_binary_rnn"
SECRET = "course-test-secret-7f3a"
CELL_TIMEOUT_S = 30  # COURSE_CELL_TIMEOUT for the batch: stops the infinite loops, leaves room for honest cells
NOTEBOOK_TIMEOUT_S = 120

# (status, autograded points) every submission must get, every time
EXPECTED = {
    "alice": (STATUS_OK, 10), "bob": (STATUS_OK, 0), "carol": (STATUS_OK, 5),
    **{s: (STATUS_PROBLEM, 0) for s in ("badjson", "oldversion", "emptyfile", "hugefile", "nonotebook")},
    "loop": (STATUS_OK, 10), "loopnosigint": (STATUS_ERROR, 0),
    "forkbomb": (STATUS_OK, 10), "membomb": (STATUS_OK, 10), "hugeoutput": (STATUS_OK, 10),
    **{s: (STATUS_OK, 10) for s in ("readsecrets", "writefiles", "network", "envsecret")},
    "osexit": (STATUS_ERROR, 0), "segfault": (STATUS_ERROR, 0),
    "monkeypatch": (STATUS_OK, 5), "transformer": (STATUS_OK, 5),
}


def sample(student: str) -> dict:
    return nbformat.read(SAMPLES / student / A / f"{A}.ipynb", as_version=4)


def with_code(student: str, grade_id: str, code: str, before: bool = False) -> dict:
    nb = sample(student)
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


# Starts a process of its own (setsid: out of the kernel's process group), then kills its kernel.
DIES_LEAVING_A_CHILD = (
    "import os, time\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    time.sleep(300)\n"
    "    os._exit(0)\n"
    "time.sleep(0.5)\n"
    "os._exit(1)")

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


def build(subs: Path, ws: course.Workspace, port: int) -> None:
    """Write the class into ``subs`` (``<student>/01_binary_rnn/``); ``ws`` is the workspace it will be graded
    in (its gradebook is one of the files the hostile code tries to read and write), ``port`` a loopback
    TCP port the network probe tries to reach."""
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
    put("alice", sample("alice"))
    put("bob", sample("bob"))
    put("carol", sample("carol"))
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
    put("loop", with_code("alice", "encode_addition", "while True:\n    pass"))
    put("loopnosigint", with_code("alice", "encode_addition",
                                   "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"))
    put("forkbomb", with_code("alice", "weights", (
        "import os, time\n_n = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(20)\n            os._exit(0)\n        _n += 1\n"
        "except OSError as _e:\n    print('fork refused after', _n, 'children')")))
    put("membomb", with_code("alice", "weights", (
        "try:\n    _big = bytearray(64 * 2**30)\n    print('LEAK allocated 64 GiB')\n"
        "except MemoryError:\n    print('BLOCKED memory')")))
    # 50,000 lines, 50 times the output limit (printing them takes about 10 s while two gradings share two cores)
    put("hugeoutput", with_code("alice", "weights", "for _i in range(50_000):\n    print('spam', _i)"))
    put("readsecrets", with_code("alice", "weights", _probe(secrets, "r")))
    put("writefiles", with_code("alice", "weights", _probe(writable, "w")))
    put("network", with_code("alice", "weights", (
        "import socket\ntry:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n    print('LEAK connected')\n"
        "except OSError as _e:\n    print('BLOCKED network', type(_e).__name__)")))
    put("envsecret", with_code("alice", "weights",
                                f"import os\nprint('LEAK env' if any('{SECRET}' in v for v in os.environ.values()) else 'BLOCKED env')"))
    put("osexit", with_code("alice", "weights", "import os\nos._exit(0)"))
    put("segfault", with_code("alice", "weights", "import ctypes\nctypes.string_at(0)"))
    # tampering on top of carol's wrong answers: must still score carol's 5, not more
    put("monkeypatch", with_code("carol", "weights", TAMPER))
    put("transformer", with_code("carol", "weights", TRANSFORMER))
