"""Shared fixtures: repository paths, the real data root (when present), sample notebooks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "autograder" / "samples" / "submissions"


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
