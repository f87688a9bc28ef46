"""nbgrader configuration for the course.

Used by ``python -m autograder`` and by the plain ``nbgrader`` command line / formgrader when run from
this folder (``cd autograder && nbgrader ...``). Paths are absolute, derived from this file's place, so the
course root is the repository whatever the working directory.

Course layout (the README's "Layout" section):
    solutions/<id>/<id>.ipynb    nbgrader's source
    notebooks/<id>/<id>.ipynb    nbgrader's release (generated, committed)
    <workspace>/submitted|autograded|feedback/<student>/<id>/   working folders
    <workspace>/gradebook.db     the gradebook
where <workspace> is the grading workspace: ``autograder/`` (git-ignored), or ``COURSE_GRADING_DIR``
(autograder/grader_settings.py)
"""

from pathlib import Path

from autograder.grader_settings import current as grader_settings

c = get_config()  # noqa: F821  (provided by traitlets when the file is loaded)

ROOT = Path(__file__).resolve().parent.parent

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = grader_settings().course_id  # COURSE_ID: one course for every tool
if grader_settings().exchange_dir is not None:
    c.Exchange.root = str(grader_settings().exchange_dir)  # COURSE_EXCHANGE_DIR
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
WORKSPACE = grader_settings().workspace_dir
c.CourseDirectory.submitted_directory = str(WORKSPACE / "submitted")
c.CourseDirectory.autograded_directory = str(WORKSPACE / "autograded")
c.CourseDirectory.feedback_directory = str(WORKSPACE / "feedback")
c.CourseDirectory.db_url = f"sqlite:///{WORKSPACE / 'gradebook.db'}"
# Only the notebooks travel; results, caches and checkpoints a run might leave are not copied around.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.pt", "*.json", "*.png",
]

# --- generating the release -------------------------------------------------------------------
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# The instructor's reading of the solution run (cells tagged "instructor") never reaches the release.
c.GenerateAssignment.preprocessors = [
    "autograder.preprocessors.DropInstructorCells",
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- executing submissions --------------------------------------------------------------------
# Per-cell wall-clock limit. Grading runs in the fast profile (NBGRADER_EXECUTION implies it), where
# no cell of a solution takes more than a few seconds; a cell that hangs is interrupted and scored 0.
c.Execute.timeout = grader_settings().cell_timeout_s  # COURSE_CELL_TIMEOUT (autograder/grader_settings.py)
c.Execute.interrupt_on_timeout = True
c.Execute.execute_retries = 0
# The kernel is thrown away after the last cell (each submission gets a fresh one in a fresh sandbox, whose
# processes die with it): kill it at once instead of asking it to shut down and waiting for it.
c.Execute.shutdown_kernel = "immediate"
# Output limits: a cell printing a novel is cut to its first lines, a traceback to its last frames.
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# A student who deletes a grade cell gets it back, run, and scored: never a silent 0. RestoreMissingCells is
# nbgrader's OverwriteCells with the re-adding fixed (nbgrader 0.9.6 fails with KeyError when the deleted
# cell follows a locked given cell or a markdown cell, and the whole notebook scored 0).
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.preprocessors.RestoreMissingCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Student code runs in a sandboxed kernel (autograder/grading/sandbox.py): no network, course files hidden,
# private scratch folder, resource limits. SandboxedExecute is nbgrader's Execute with that kernel. What the kernel
# may not see (solutions, the workspace, .git) and what it reads (its interpreter, course_utils, the data) is the
# sandbox's one path policy; the kit's grading jobs narrow it per job, and every other route that autogrades with
# this configuration (the formgrader's Autograde button, the nbgrader command line) gets it as it is.
from autograder.course import Workspace  # noqa: E402
from autograder.grading.sandbox import paths_for  # noqa: E402

c.SandboxedKernelManager.hidden_paths, c.SandboxedKernelManager.readonly_paths = paths_for(Workspace(WORKSPACE))
#
# nbgrader counts any stderr output of a grade cell as a failure, and torch emits UserWarnings on
# stderr. DemoteStderr turns stderr *stream* output into stdout before the scores are saved, so a warning
# never costs points; a real failure still raises, which is an ``error`` output and still scores 0.
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.MarkGradeCells",  # test cells restore tampered state first (guarded kernel)
    "autograder.preprocessors.SandboxedExecute",  # nbgrader's Execute, kernels in the sandbox
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.preprocessors.DemoteStderr",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",  # with the course's rule, below
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The late-work rule (autograder/late.py), from COURSE_LATE_PENALTY_PER_DAY and COURSE_LATE_PENALTY_MAX: nbgrader
# applies it to a submission whose timestamp.txt is after the assignment's due date in the gradebook.
c.AssignLatePenalties.plugin_class = "autograder.late.PerDayLatePenalty"
c.PerDayLatePenalty.per_day = grader_settings().late_penalty_per_day
c.PerDayLatePenalty.max_fraction = grader_settings().late_penalty_max

# --- feedback -----------------------------------------------------------------------------------
# Feedback goes back to students: hidden test source, and tracebacks that would quote it, are removed.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.preprocessors.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
