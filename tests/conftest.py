"""Shared fixtures: repository paths, the real data root (when present), sample notebooks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "submissions"


def fallback_kernel_cannot_start() -> str | None:
    """Why a grading kernel without bubblewrap, run as a uid of its own, could not start from this checkout, or None.

    Without bubblewrap nothing binds the kit's interpreter into the kernel's view: its uid must reach it through
    the real folders. A checkout under a private folder (``mktemp -d`` makes 0700) is out of its reach, and every
    kernel dies at start-up. Probed as such a uid would: a process of its own imports the kernel's module."""
    import subprocess
    import sys

    from autograder.grading import sandbox

    if not sandbox.drops_privileges():
        return None  # the kernel runs as the grader's own user: it reaches what the grader reaches
    command = sandbox.wrap([sys.executable, "-c", "import grading_kernel"], Path("/"), Path("/"),
                           sandbox.Policy(hidden=[], readonly=[]), use_bwrap=False, uid=sandbox.NOBODY)
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/")
    if proc.returncode != 0:
        return f"a kernel's uid cannot start {sys.executable}: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"
    return None


def real_data_root() -> Path | None:
    """COURSE_DATA_DIR when set, else ../shared/data beside the repository, else None."""
    env = os.environ.get("COURSE_DATA_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "data")
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    return None


@pytest.fixture(scope="session", autouse=True)
def private_grading_workspace(tmp_path_factory) -> Path:
    """No test grades into the instructor's workspace: COURSE_GRADING_DIR points at a folder of this session's own
    (set in the environment, so command-line runs the tests start inherit it)."""
    folder = tmp_path_factory.mktemp("grading-workspace")
    previous = os.environ.get("COURSE_GRADING_DIR")
    os.environ["COURSE_GRADING_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("COURSE_GRADING_DIR", None)
    else:
        os.environ["COURSE_GRADING_DIR"] = previous


@pytest.fixture
def data_root(monkeypatch) -> Path:
    """The real data root, or skip: tests that read Fashion-MNIST or IMDB need it."""
    root = real_data_root()
    if root is None:
        pytest.skip("no data root: set COURSE_DATA_DIR to a folder with FashionMNIST/ and aclImdb/")
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    return root


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No profile variables, and private cache / results folders."""
    for var in ("COURSE_PROFILE", "NBGRADER_EXECUTION", "COURSE_RESULTS_DIR", "COURSE_DEVICE", "COURSE_PRECISION",
                "COURSE_REFERENCES_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture(scope="session")
def expected_scores() -> dict:
    data = json.loads((ROOT / "autograder" / "samples" / "expected_scores.json").read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


@pytest.fixture(scope="session")
def sample_class(tmp_path_factory):
    """The whole sample class, graded once per test session, concurrently (the default engine):
    ``({(student, assignment): Outcome}, workspace, notes)``. Grading tests, the report, the exports and the
    concurrent-against-serial comparison all read it; none may change its workspace (copy it first)."""
    from autograder import course
    from autograder.grading import engine

    ws = course.Workspace(tmp_path_factory.mktemp("samples-ws"))
    outcomes, notes = engine.grade_class_parallel(SAMPLES, ws, jobs=2, progress=False)
    return {(o.student, o.assignment): o for o in outcomes}, ws, notes
