"""The course on disk: where things are, which assignments exist, and an nbgrader API bound to them.

Everything nbgrader needs comes from ``autograder/nbgrader_config.py``; callers may redirect the working
folders (submitted, autograded, feedback, gradebook) elsewhere, which the self-test and the test suite do
so that they never touch the instructor's gradebook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import nbformat
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = Path(__file__).resolve().parent / "nbgrader_config.py"
ROOT = CONFIG_FILE.parent.parent
SOLUTIONS = ROOT / "solutions"
RELEASE = ROOT / "notebooks"
SAMPLES = ROOT / "autograder" / "samples" / "submissions"


def load_config() -> Config:
    """The course's nbgrader configuration as a traitlets ``Config``."""
    return PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()


def assignments() -> list[str]:
    """Assignment ids, one per folder in ``solutions/`` holding ``<id>.ipynb``, in order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())


@dataclass(frozen=True)
class Workspace:
    """Where one grading run keeps nbgrader's working folders and gradebook."""

    root: Path  # the instructor's: grader_settings.workspace()

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    def create(self) -> None:
        """Make the workspace folder if it is missing, readable by its owner only (0700).

        The gradebook holds every assignment's source cells, hidden tests included, and ``autograded/`` holds
        the class's notebooks; under the usual umask both would be world-readable, so any student with a shell
        on the grading machine (a hub, a shared server) could read them. An existing folder keeps its mode: the
        instructor chose it (the sandbox's preflight still refuses one that a kernel could read).
        """
        if not self.root.is_dir():
            self.root.parent.mkdir(parents=True, exist_ok=True)
            self.root.mkdir(mode=0o700, exist_ok=True)
            self.root.chmod(0o700)  # mkdir's mode (never wider than 0700: no moment readable) minus the umask's bits

    def config(self, release_dir: Path | None = None) -> Config:
        """The course configuration with this workspace's folders filled in (absolute paths)."""
        cfg = load_config()
        cfg.CourseDirectory.submitted_directory = str(self.submitted)
        cfg.CourseDirectory.autograded_directory = str(self.autograded)
        cfg.CourseDirectory.feedback_directory = str(self.feedback)
        cfg.CourseDirectory.db_url = f"sqlite:///{self.gradebook}"
        if release_dir is not None:
            cfg.CourseDirectory.release_directory = str(release_dir)
        return cfg


def nbgrader_api(config: Config, log_level: int = logging.WARNING):
    """An ``NbGraderAPI`` for ``config`` whose own logging is kept quiet."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir, config=config)
    api.log_level = log_level
    api.log.setLevel(log_level)
    return api


class ReleaseError(RuntimeError):
    """nbgrader could not generate an assignment (a malformed solution region, for instance)."""


def generate(assignment: str, workspace: Workspace, release_dir: Path) -> None:
    """Run nbgrader's generate_assignment for one assignment into ``release_dir/<assignment>``.

    Also registers the assignment (its source cells, hidden tests included) in the workspace's
    gradebook, which autograding needs to restore locked and deleted cells: the release command and the grading
    engine both call it.
    """
    workspace.create()
    api = nbgrader_api(workspace.config(release_dir=release_dir))
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise ReleaseError(f"generate_assignment {assignment} failed:\n{result.get('error') or result.get('log')}")


@dataclass(frozen=True)
class CellInfo:
    """One graded cell of a source notebook."""

    grade_id: str
    points: float
    autograded: bool  # a code grade cell (tests) rather than a manually graded answer


def graded_cells(assignment: str) -> list[CellInfo]:
    """The grade cells of ``solutions/<assignment>/<assignment>.ipynb``, in notebook order."""
    nb = nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            auto = cell.cell_type == "code" and not meta.get("solution", False)
            cells.append(CellInfo(meta["grade_id"], float(meta.get("points", 0)), auto))
    return cells


def max_points(assignment: str) -> tuple[float, float]:
    """(autograded points, manually graded points) available in ``assignment``."""
    cells = graded_cells(assignment)
    return (
        sum(c.points for c in cells if c.autograded),
        sum(c.points for c in cells if not c.autograded),
    )
