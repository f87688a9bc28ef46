"""The instructor's nbgrader (the formgrader's buttons, the ``nbgrader`` command line) on the kit's configuration.

nbgrader reads ``nbgrader_config.py`` from Jupyter's configuration folders (``~/.jupyter``, ``/etc/jupyter``), the
working folder and the course root. An instructor whose Jupyter server reads none of the kit's configuration gets
nbgrader's defaults: the formgrader's *Autograde* then runs student code in a plain kernel, outside the sandbox, and
its *Generate Feedback* copies hidden tests into the feedback. :func:`instructor_config` is the one file that prevents
both: it loads the kit's ``autograder/nbgrader_config.py`` (course id, folders, gradebook, the sandboxed execution,
restored cells, ``HideHiddenTests``, the late rule), whatever folder the server starts in.
``python -m autograder formgrader-config`` writes it to ``~/.jupyter/nbgrader_config.py`` (or ``--output``).
"""

from __future__ import annotations

from pathlib import Path

from .. import course

HEADER = "# Written by `python -m autograder formgrader-config`: nbgrader, its formgrader and its command line read the\n" \
         "# course kit's configuration (sandboxed autograding, hidden tests kept out of feedback, one course id).\n"


def instructor_config(kit_root: Path | None = None) -> str:
    """The text of an instructor's ``nbgrader_config.py`` that loads the configuration of the kit at ``kit_root``
    (default: this one)."""
    kit = (Path(kit_root or course.ROOT) / "autograder" / "nbgrader_config.py").resolve()
    return (HEADER + "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(kit)!r})  # noqa: F821\n")


def write(output: Path | None = None) -> Path:
    """Write :func:`instructor_config` to ``output`` (default ``~/.jupyter/nbgrader_config.py``); an existing file
    that is not one of these is kept and a ``FileExistsError`` names it."""
    output = Path(output or Path.home() / ".jupyter" / "nbgrader_config.py").expanduser()
    if output.exists() and not output.read_text().startswith(HEADER):
        raise FileExistsError(f"{output} exists and was not written by this command: add its last line yourself:\n"
                              + instructor_config().splitlines()[-1])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(instructor_config())
    return output
