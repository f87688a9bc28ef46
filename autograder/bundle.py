"""``python -m autograder bundle OUT``: the course as students get it, and nothing else.

The bundle holds the released notebooks (nbgrader's release: solutions stubbed, hidden tests removed),
``course_utils`` without the grading kernel's guard, the committed full-run results the notebooks compare
with, a student ``pyproject.toml`` / ``environment.yml`` (the kit's pinned dependencies less the
instructor's: no nbval, no Dask, no test tools), a student README and the licence. It has no
``solutions/``, no hidden tests, no sample submissions and no autograder. A marker file
(:data:`MARKER`) lets ``course_utils`` recognise the bundle as its course folder, as it does a checkout.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from . import course, release

MARKER = "COURSE_BUNDLE"
INSTRUCTOR_ONLY = ("nbval", "distributed", "copydetect", "hypothesis")  # dependencies students do not need


class BundleError(RuntimeError):
    """The bundle cannot be made (stale release, OUT not empty); the text is the one-line error."""


def student_dependencies() -> list[str]:
    """The kit's dependencies (``pyproject.toml``) less the instructor-only ones."""
    project = tomllib.loads((course.ROOT / "pyproject.toml").read_text())["project"]
    return [d for d in project["dependencies"]
            if not d.replace(" ", "").lower().startswith(tuple(n.lower() for n in INSTRUCTOR_ONLY))]


def _toml_list(items: list[str]) -> str:
    return "[\n" + "".join(f'    "{item}",\n' for item in items) + "]"


def pyproject(version: str) -> str:
    return f'''[build-system]
requires = ["setuptools>=77.0.3"]
build-backend = "setuptools.build_meta"

[project]
name = "dl-course-student"
version = "{version}"
description = "Graded notebooks on sequence models and deep generative models: the student edition"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
license-files = ["LICENSE"]
dependencies = {_toml_list(student_dependencies())}

[tool.setuptools.packages.find]
include = ["course_utils*"]

[tool.setuptools.package-data]
course_utils = ["evaluation/*.pt", "evaluation/*.json", "references/*/*"]
'''


def environment_yml() -> str:
    deps = "".join(f"      - {d}\n" for d in student_dependencies())
    return ("# conda env create -f environment.yml && conda activate dl-course\n"
            "name: dl-course\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
            f"{deps}      - -e .\n")


STUDENT_README = """# Deep-learning course: sequence models and deep generative models

Eight graded notebooks: a hand-set binary-addition RNN; GRU versus MLP sentiment on IMDB; a GAN on a 2-D
Gaussian mixture; a Fashion-MNIST GAN loss comparison; mode collapse; a conditional GAN; a VAE; spectral
normalisation and WGAN-GP.

## Set up (once)

With Python 3.10 or later (3.11 recommended), in this folder:

```bash
python -m venv .venv && . .venv/bin/activate      # Windows: .venv\\Scripts\\activate
python -m pip install -e .                          # everything the notebooks need (torch, JupyterLab, nbgrader, ...)
jupyter lab notebooks/
```

With conda instead: `conda env create -f environment.yml && conda activate dl-course`.

On a **JupyterHub** or a **hosted notebook service**, open a terminal (or a notebook cell starting with
`!`) in the folder that holds this README and run `python -m pip install --user -e .`, then restart the
kernel. The notebooks run on the CPU; they use a GPU when there is one.

## Data

The notebooks read Fashion-MNIST and IMDB from one data root, `~/.cache/course-kit/data` unless the
environment variable `COURSE_DATA_DIR` names another folder, and download what is missing the first time
(about 100 MB; Fashion-MNIST with torchvision's checks, IMDB from its official archive). Where the course
provides a shared copy (on a JupyterHub, say), set `COURSE_DATA_DIR` to it, for example in a notebook's
first cell: `import os; os.environ["COURSE_DATA_DIR"] = "/srv/data/course"`; it may be read-only.

## Working

Open `notebooks/<id>/<id>.ipynb`, replace each `raise NotImplementedError()` with your code, and run the
test cell below it: a failing test says what it expected and what your code gave. Some test cells also
hold hidden tests that only the grader runs, so passing the visible tests is necessary, not sufficient.
Do not delete or edit the test cells (they are restored from the original when grading).
A notebook runs its full budgets by default; `COURSE_PROFILE=fast` (set before starting JupyterLab) gives
a quick smoke run.

## Submitting

Before submitting: *Kernel > Restart Kernel and Run All Cells*, then nbgrader's *Validate* button in the
notebook toolbar, which runs the visible tests the way the grader will. Hand in the notebook file itself,
`<id>.ipynb`, unrenamed, as your course says (LMS upload or nbgrader's *Assignments* tab).
"""


def write(out: Path) -> list[Path]:
    """Make the bundle in ``out`` (which must not exist or be empty); returns the files written."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BundleError(f"{out} exists and is not an empty folder")
    if course.ROOT in (out, *out.parents):
        raise BundleError(f"{out} is inside the course repository; choose a folder outside it")
    problems = release.check()
    if problems:
        raise BundleError("notebooks/ is out of sync with solutions/ (run `python -m autograder release` first): "
                          + "; ".join(problems))
    out.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for assignment in course.assignments():
        shutil.copytree(course.RELEASE / assignment, out / "notebooks" / assignment, ignore=ignore)
    shutil.copytree(course.ROOT / "course_utils", out / "course_utils", ignore=ignore)
    shutil.copytree(course.ROOT / "results", out / "results", ignore=ignore)
    shutil.copyfile(course.ROOT / "LICENSE", out / "LICENSE")
    version = tomllib.loads((course.ROOT / "pyproject.toml").read_text())["project"]["version"]
    (out / "pyproject.toml").write_text(pyproject(version))
    (out / "environment.yml").write_text(environment_yml())
    (out / "README.md").write_text(STUDENT_README)
    (out / MARKER).write_text("The student bundle of the course kit (python -m autograder bundle).\n")
    return sorted(p for p in out.rglob("*") if p.is_file())
