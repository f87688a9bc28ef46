"""Grading on Gradescope with the kit's own grader: an autograder zip per assignment.

Gradescope runs an autograder container per submission (its "autograder specification"): a zip with ``setup.sh``
and ``run_autograder`` at its root is unpacked into ``/autograder/source``; the student's files arrive in
``/autograder/submission``; ``run_autograder`` must write ``/autograder/results/results.json``. This module builds
that zip (:func:`build_zip`, ``python -m autograder gradescope ID``) and is what ``run_autograder`` runs
(:func:`run`, ``python -m autograder gradescope-run``): it grades the submission through the same path as
``python -m autograder grade`` (:func:`autograder.grading.engine.grade_class_parallel` with one slot: preflight, the
sandboxed kernel, its limits, deleted cells restored, stderr demoted, time-outs that cost only their cell) and
turns the outcome into Gradescope's ``results.json``.

The root is ``/autograder`` on Gradescope and whatever ``GRADESCOPE_ROOT`` names elsewhere (the tests unpack the
zip into a temporary folder). What the zip holds: the kit's code (``course_utils``, ``grading_kernel``, ``autograder``), the one
assignment's source notebook (``solutions/<id>/``, hidden from the student's kernel by the sandbox like every
grading run's solutions), ``pyproject.toml`` and ``gradescope.json`` (the assignment and the late-work rule).

**Which notebook is graded.** Every ``.ipynb`` under ``/autograder/submission`` (Gradescope unpacks an uploaded
zip there; folders whose name starts with ``.`` or ``__MACOSX`` are skipped, a zip left packed is not opened):
the one named ``<id>.ipynb`` if there is one, else the only notebook, else none (several notebooks and none of
them ``<id>.ipynb``: 0 points and the reason, as ``grade`` does for a class folder).

**Late work.** ``submission_metadata.json`` gives the submission's time (``created_at``) and the due date
(``assignment.due_date``); the rule in ``gradescope.json`` (``late_penalty_per_day``, a fraction of the score per
started day, capped at ``late_penalty_max``; default 0: no penalty) applies to the score, and the lateness is
stated in the output.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from .. import course, grader_settings

CONFIG = "gradescope.json"
STUDENT = "submission"  # the student's folder name inside the private grading workspace

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (an Ubuntu image, as root, with a network).
# It installs a Python the kit supports (>= 3.11), the course environment (the pins of pyproject.toml, torch from
# PyTorch's CPU wheel index: grading needs no CUDA), bubblewrap (the grading sandbox) and the data the notebook
# needs, so that grading itself downloads nothing; then it makes the solutions and the grader's files readable by
# root only (the student's code never runs as root). With COURSE_PYTHON set to an interpreter that already has the
# environment (the kit's end-to-end test, offline), the apt and pip steps are skipped.
set -euo pipefail
SOURCE="${GRADESCOPE_ROOT:-/autograder}/source"
if [ -z "${COURSE_PYTHON:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
  PY=python3
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    # Ubuntu 22.04's python3 is 3.10; its archive (universe) has python3.11
    apt-get install -y -qq python3.11 python3.11-venv >/dev/null
    PY=python3.11
  fi
  "$PY" -m venv "$SOURCE/.venv"
  "$SOURCE/.venv/bin/python" -m pip install --quiet --upgrade pip
  PINS=$(grep -oE '"(torch|torchvision)==[^";]+' "$SOURCE/pyproject.toml" | tr -d '"')
  # shellcheck disable=SC2086
  "$SOURCE/.venv/bin/python" -m pip install --quiet --index-url "${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}" $PINS \
    || echo "note: PyTorch's CPU wheel index could not be reached; torch comes from PyPI (with CUDA libraries, about 5 GB more)"
  "$SOURCE/.venv/bin/python" -m pip install --quiet -e "$SOURCE"
  COURSE_PYTHON="$SOURCE/.venv/bin/python"
fi
echo "$COURSE_PYTHON" > "$SOURCE/.python"
export COURSE_DATA_DIR="${COURSE_DATA_DIR:-$SOURCE/data}"
echo "$COURSE_DATA_DIR" > "$SOURCE/.data_dir"
cd "$SOURCE"
"$COURSE_PYTHON" -m autograder gradescope-prefetch
"$COURSE_PYTHON" -m autograder gradescope-secure
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission (as root); it writes $GRADESCOPE_ROOT/results/results.json and never
# fails.
SOURCE="${GRADESCOPE_ROOT:-/autograder}/source"
export COURSE_DATA_DIR="$(cat "$SOURCE/.data_dir" 2>/dev/null || echo "$SOURCE/data")"
export COURSE_PROFILE=fast
cd "$SOURCE"
exec "$(cat "$SOURCE/.python" 2>/dev/null || echo python3)" -m autograder gradescope-run
"""

# What each assignment's notebook loads, fetched once by setup.sh (grading runs offline).
_DATA = {"02_sentiment_gru_mlp": ("imdb",)}
_DATA.update({a: ("fashion_mnist",) for a in ("04_fmnist_gan_losses", "05_mode_collapse", "06_conditional_gan",
                                              "07_vae", "08_sn_wgan_gp")})


def root() -> Path:
    """Gradescope's ``/autograder``, or the folder ``GRADESCOPE_ROOT`` names."""
    return Path(os.environ.get("GRADESCOPE_ROOT", "/autograder"))


# ------------------------------------------------------------------------------------------------ the zip
GRADESCOPE_TIMEOUT_S = 600  # Gradescope's default autograder time-out (Configure Autograder > Advanced settings)
MARGIN_S = 90  # what one grading needs around the notebook: the engine, the worker's imports, the seed gradebook


def notebook_limit(gradescope_timeout_s: int) -> int:
    """The kit's limit for the whole notebook under Gradescope's time-out: below it, so that a slow notebook is
    reported by the kit (0 points and the reason) instead of Gradescope's bare "autograder timed out"."""
    return max(60, gradescope_timeout_s - MARGIN_S)


def build_zip(assignment: str, output: Path | None = None, late_penalty_per_day: float | None = None,
              late_penalty_max: float | None = None, gradescope_timeout_s: int = GRADESCOPE_TIMEOUT_S,
              with_data: bool = False) -> Path:
    """Write the autograder zip of ``assignment`` (default ``gradescope-<id>.zip`` in the current folder).

    ``gradescope_timeout_s``: the time-out set on Gradescope (the notebook limit is :func:`notebook_limit` of
    it); ``with_data``: put the data the notebook loads (from the data root) into the zip, for images built
    without access to the data's download sites. The late rule defaults to the course's (:mod:`autograder.late`)."""
    settings = grader_settings.current()
    late_penalty_per_day = settings.late_penalty_per_day if late_penalty_per_day is None else late_penalty_per_day
    late_penalty_max = settings.late_penalty_max if late_penalty_max is None else late_penalty_max
    if assignment not in course.assignments():
        raise ValueError(f"unknown assignment {assignment!r}; known: {course.assignments()}")
    if not (0 <= late_penalty_per_day <= 1 and 0 <= late_penalty_max <= 1):
        raise ValueError("late penalties are fractions of the score, between 0 and 1")
    if not 120 <= gradescope_timeout_s <= 6 * 3600:
        raise ValueError(f"Gradescope's time-out is a number of seconds between 120 and 21600, got {gradescope_timeout_s}")
    output = Path(output or f"gradescope-{assignment}.zip")
    config = {"assignment": assignment, "late_penalty_per_day": late_penalty_per_day,
              "late_penalty_max": late_penalty_max, "gradescope_timeout_s": gradescope_timeout_s,
              "notebook_timeout_s": notebook_limit(gradescope_timeout_s)}
    data = _data_files(assignment) if with_data else []

    def executable(zf: zipfile.ZipFile, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        zf.writestr(info, text)

    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as zf:
        executable(zf, "setup.sh", SETUP_SH)
        executable(zf, "run_autograder", RUN_AUTOGRADER)
        zf.writestr(CONFIG, json.dumps(config, indent=1) + "\n")
        for name in ("pyproject.toml", "LICENSE", "README.md"):
            if (course.ROOT / name).is_file():
                zf.write(course.ROOT / name, name)
        for path in _files_to_ship(assignment):
            zf.write(path, path.relative_to(course.ROOT).as_posix())
        for path, name in data:
            zf.write(path, name)
    return output


def _data_files(assignment: str) -> list[tuple[Path, str]]:
    """(file, name in the zip) of the data ``assignment`` loads, from the data root; ValueError when absent."""
    from course_utils.paths import data_root

    root = data_root()
    folders = {"fashion_mnist": root / "FashionMNIST" / "raw", "imdb": root / "aclImdb"}
    files = []
    for name in _DATA.get(assignment, ()):
        folder = folders[name]
        if not folder.is_dir():
            raise ValueError(f"--with-data: {folder} is missing; fetch the data first (COURSE_DATA_DIR names the data root)")
        files += [(p, "data/" + p.relative_to(root).as_posix()) for p in sorted(folder.rglob("*")) if p.is_file()]
    return files


def _files_to_ship(assignment: str) -> list[Path]:
    """The kit's code and the one assignment's source, without caches, sample submissions or grading state."""
    keep: list[Path] = []
    for top in ("course_utils", "grading_kernel", "autograder", f"solutions/{assignment}"):
        for path in sorted((course.ROOT / top).rglob("*")):
            parts = path.relative_to(course.ROOT).parts
            if not path.is_file() or "__pycache__" in parts or ".ipynb_checkpoints" in parts:
                continue
            if parts[:2] == ("autograder", "samples") and len(parts) > 2 and parts[2] == "submissions":
                continue
            if parts[0] == "autograder" and len(parts) > 1 and parts[1] in (
                    "submitted", "autograded", "feedback", "gradebook.db", "outcomes.jsonl", "grades.csv", ".jobs"):
                continue
            keep.append(path)
    return keep


# ------------------------------------------------------------------------------------------------ setup
def prefetch() -> list[str]:
    """Fetch the data the configured assignment loads into ``COURSE_DATA_DIR`` (nothing when already there)."""
    from course_utils.data.fashion_mnist import fashion_mnist
    from course_utils.data.imdb import imdb_folder

    from course_utils.data import DataUnavailable

    assignment = _config()["assignment"]
    done = []
    for name in _DATA.get(assignment, ()):
        try:
            if name == "fashion_mnist":
                fashion_mnist(train=True, download=True)
                fashion_mnist(train=False, download=True)
            elif name == "imdb":
                imdb_folder(download=True)
        except DataUnavailable as exc:
            first = str(exc).strip().splitlines()[0].rstrip(".")
            raise DataUnavailable(
                f"{assignment} needs the {name} data and the image could not get it ({first}). Build the zip with "
                f"the data inside it instead: python -m autograder gradescope {assignment} --with-data") from exc
        done.append(name)
    return done


# The grader's files that student code must not read when bubblewrap cannot hide them (relative to the source
# folder), made root-only by setup.sh; the submission's own files are made root-only by :func:`run`.
SECRETS = ("solutions", "autograder", CONFIG, ".git")
PER_SUBMISSION = ("submission_metadata.json", "submission", "results")


def secure(source: Path | None = None) -> list[str]:
    """Make :data:`SECRETS` readable by their owner only (``go-rwx``, recursively); returns what it changed. Run by
    ``setup.sh`` as root. The grader, root, still reads everything; a kernel's uid, never root, reads none of it."""
    source = Path(source or course.ROOT)
    changed = []
    for name in SECRETS:
        top = source / name
        if not top.exists():
            continue
        for path in [top, *(top.rglob("*") if top.is_dir() else [])]:
            if path.is_symlink():
                continue
            mode = path.stat().st_mode & 0o7777
            if mode & 0o077:
                path.chmod(mode & ~0o077)
                changed.append(str(path))
    return changed


def _config() -> dict:
    return json.loads((course.ROOT / CONFIG).read_text())


# ------------------------------------------------------------------------------------------------ grading
def find_submission(folder: Path, assignment: str) -> tuple[Path | None, str]:
    """The notebook to grade in Gradescope's submission folder, and a note (the rule is in the module's doc)."""
    if not folder.is_dir():
        return None, "nothing was submitted"
    found = sorted(p for p in folder.rglob("*.ipynb") if p.is_file() and not any(
        part.startswith(".") or part.startswith("__MACOSX") for part in p.relative_to(folder).parts[:-1]))
    named = [p for p in found if p.name == f"{assignment}.ipynb"]
    if len(named) >= 1:
        note = "" if len(found) == 1 else f"graded {named[0].relative_to(folder)}; other notebooks ignored"
        return named[0], note
    if len(found) == 1:
        return found[0], f"graded {found[0].name!r} in place of {assignment}.ipynb (renamed)"
    if not found:
        packed = [p.name for p in folder.rglob("*.zip")]
        return None, f"no notebook found (expected {assignment}.ipynb)" + (
            f"; a zip ({packed[0]}) is not opened: upload the notebook itself" if packed else "")
    names = ", ".join(str(p.relative_to(folder)) for p in found[:5])
    return None, f"several notebooks and none named {assignment}.ipynb ({names}): none graded"


def lateness(metadata: dict) -> float:
    """Days after the due date (0 when on time or when the metadata does not say)."""
    try:
        created = dt.datetime.fromisoformat(metadata["created_at"])
        due = dt.datetime.fromisoformat(metadata["assignment"]["due_date"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return max(0.0, (created - due).total_seconds() / 86400)


def late_factor(days_late: float, per_day: float, cap: float) -> float:
    """The share of the score kept: ``1 - min(cap, per_day * started days late)``, the course's one rule."""
    from ..late import fraction_kept

    return fraction_kept(days_late, per_day, cap)


def cell_messages(notebook: Path) -> tuple[dict[str, str], list[str]]:
    """What a student may read of each failing grade cell (the error as the kit's HTML feedback shows it: hidden
    tests' code and tracebacks quoting it removed by :class:`HideHiddenTests`), and one line for each cell that
    was interrupted at the cell time limit (nbclient interrupts it: its error is a ``KeyboardInterrupt``)."""
    import nbformat

    from ..preprocessors.hide_hidden_tests import ANSI, HideHiddenTests

    nb = nbformat.read(notebook, as_version=4)
    sources = [cell.source for cell in nb.cells]
    for cell in nb.cells:  # only grade cells' messages are read: no other cell's text (a student's) can stop it
        if not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            cell.source = ""
    nb, _ = HideHiddenTests(enforce_metadata=False).preprocess(nb, {})
    messages, interrupted = {}, []
    code_cells = 0
    for cell, source in zip(nb.cells, sources):
        if cell.cell_type != "code":
            continue
        code_cells += 1
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if gid and errors:
            messages[gid] = "\n".join(ANSI.sub("", line) for e in errors for line in e.get("traceback", [])).strip()
        if any(e.get("ename") == "KeyboardInterrupt" for e in errors):
            first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")[:60]
            interrupted.append(f"code cell {code_cells}" + (f" ({gid})" if gid else "") + (f", starting {first!r}" if first else ""))
    return messages, interrupted


def results_for(assignment: str, outcome, messages: dict[str, str], days_late: float, config: dict,
                note: str, seconds: float, interrupted: list[str] | None = None, sandbox_line: str = "") -> dict:
    """Gradescope's ``results.json`` for one graded (or ungradable) submission. ``interrupted``: the cells stopped
    at the cell time limit; ``sandbox_line``: which sandbox ran the student's code."""
    from ..classbook import test_cells

    hidden = {cell.grade_id for cell in test_cells(assignment) if cell.hidden}
    tests = []
    graded = outcome is not None and outcome.status == "graded"
    for number, cell in enumerate(course.graded_cells(assignment), start=1):
        entry = {"name": cell.grade_id, "number": str(number), "max_score": cell.points}
        if not cell.autograded:
            entry.update(score=0.0, visibility="visible",
                         output="Graded by hand after the deadline: these points are added when the instructor grades it.")
        else:
            score = float(outcome.cells.get(cell.grade_id, 0.0)) if graded else 0.0
            passed = score >= cell.points
            if not graded:
                text = "Not run: the notebook could not be graded (see the summary above)."
            elif passed:
                text = "Passed."
            else:
                text = messages.get(cell.grade_id) or "Failed (no error message: the cell's code did not run to its end)."
            entry.update(score=score, visibility="after_published" if cell.grade_id in hidden else "visible",
                         output=text + ("\nThis cell also holds hidden tests; its result is shown once grades are published."
                                        if cell.grade_id in hidden else ""))
        tests.append(entry)
    raw = sum(t["score"] for t in tests)
    factor = late_factor(days_late, config.get("late_penalty_per_day", 0.0), config.get("late_penalty_max", 1.0))
    auto_max, manual_max = course.max_points(assignment)
    lines = [f"Autograded {raw:g} of {auto_max:g} points ({manual_max:g} more are graded by hand)"
             f" for {assignment}" + (f"; {outcome.reason}" if outcome is not None and outcome.reason and graded else "") + "."]
    if outcome is not None and not graded:
        lines = [f"Not graded: {outcome.reason or outcome.status}. Score 0."]
    if note:
        lines.append(note[0].upper() + note[1:] + ".")
    for cell in interrupted or []:
        lines.append(f"Interrupted at the {grader_settings.current().cell_timeout_s} s cell time limit: {cell}; "
                     "it scored nothing and the cells after it ran without what it should have made.")
    if days_late > 0 and graded:
        lines.append(f"Submitted {days_late:.2f} days after the due date"
                     + (f": late penalty {100 * (1 - factor):.0f} % of the score." if factor < 1 else " (no late penalty)."))
    if sandbox_line:
        lines.append(sandbox_line)
    return {"score": round(raw * factor, 4), "execution_time": int(round(seconds)), "output": "\n".join(lines),
            "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def failed_results(reason: str, seconds: float = 0.0) -> dict:
    """``results.json`` for a submission the grader could not handle at all: 0 points and the reason."""
    return {"score": 0.0, "execution_time": int(round(seconds)), "output": f"Not graded: {reason}. Score 0.",
            "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}


def _write(results: dict, where: Path) -> None:
    where.mkdir(parents=True, exist_ok=True)
    tmp = where / ".results.json.tmp"
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(where / "results.json")


def _protect_submission(base: Path) -> None:
    """The files Gradescope put there for this submission (its metadata, the upload, the results folder) readable
    and writable by their owner, root, only: the kernel never runs as root."""
    for name in PER_SUBMISSION:
        path = base / name
        if not path.exists() or path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o7777
        path.chmod(mode & ~0o077)


def sandbox_summary(notes: list[str]) -> str:
    """The student-facing line on which sandbox ran their code, from the engine's first note."""
    line = next((n for n in notes if n.startswith("sandbox:")), "")
    if not line:
        return ""
    if "FALLBACK" in line:
        return ("Sandbox: bubblewrap could not run in this container, so your code ran as an unprivileged user of its "
                "own, under resource limits, without network isolation; the grader's files are readable by root only.")
    return "Sandbox: bubblewrap (no network, read-only file system, the grader's files hidden), resource limits."


def run(base: Path | None = None) -> dict:
    """Grade the submission in ``base/submission`` and write ``base/results/results.json``. Never raises: an
    internal failure becomes a 0 with its reason (Gradescope would otherwise show "Autograder failed")."""
    base = Path(base or root())
    start = time.perf_counter()
    try:
        config = _config()
        assignment = config["assignment"]
        _protect_submission(base)
        try:
            metadata = json.loads((base / "submission_metadata.json").read_text())
        except (OSError, ValueError):
            metadata = {}
        notebook, note = find_submission(base / "submission", assignment)
        if notebook is None:
            results = results_for(assignment, None, {}, lateness(metadata), config, "", 0.0)
            results.update(score=0.0, output=f"Not graded: {note}. Score 0.")
        else:
            from ..grading import engine

            messages, interrupted = {}, []
            with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
                folder = Path(tmp) / "submissions" / STUDENT / assignment
                folder.mkdir(parents=True)
                shutil.copyfile(notebook, folder / f"{assignment}.ipynb")
                workspace = course.Workspace(Path(tmp) / "workspace")
                # the notebook limit under Gradescope's time-out, unless the environment sets one: the engine's
                # limit and the sandbox line in the log then agree
                os.environ.setdefault("COURSE_NOTEBOOK_TIMEOUT",
                                      str(config.get("notebook_timeout_s") or notebook_limit(GRADESCOPE_TIMEOUT_S)))
                try:
                    graded, notes = engine.grade_class_parallel(
                        folder.parent.parent, workspace, [assignment], feedback=False, jobs=1, progress=False,
                        hidden=tuple(str(base / name) for name in PER_SUBMISSION))
                except engine.SandboxExposed as exc:
                    print(f"refused: {exc}")
                    results = failed_results("the autograder refused to run your code, because its sandbox could "
                                             "not hide the grader's files on this image; your instructor must fix "
                                             f"the autograder's setup ({exc})", time.perf_counter() - start)
                    graded, notes = None, []
                if graded is not None:
                    outcome = graded[0]
                    path = workspace.autograded / STUDENT / assignment / f"{assignment}.ipynb"
                    if outcome.status == "graded" and path.is_file():
                        messages, interrupted = cell_messages(path)
                    print("\n".join(notes))  # the log Gradescope keeps (stdout, hidden from the student)
                    results = results_for(assignment, outcome, messages, lateness(metadata), config, note,
                                          time.perf_counter() - start, interrupted, sandbox_summary(notes))
    except Exception as exc:  # noqa: BLE001 - a crashed autograder is the one outcome Gradescope must never see
        text = str(exc).strip().splitlines()
        results = failed_results(f"internal error of the autograder ({type(exc).__name__}: {text[-1] if text else ''})",
                                 time.perf_counter() - start)
        traceback.print_exc()
    results["execution_time"] = int(round(time.perf_counter() - start))
    _write(results, base / "results")
    return results
