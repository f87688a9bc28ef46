"""Every solution notebook re-executes cleanly in the fast profile under nbval (--nbval-lax).

Cells marked ``# NBVAL_CHECK_OUTPUT`` must reproduce their stored output; progress bars, timings and
addresses are masked by ``nbval_sanitize.cfg``. Each notebook runs in its own pytest process, with the
data root the suite was given.
"""

import os
import subprocess
import sys

import pytest

from autograder import course
from conftest import ROOT, real_data_root

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", course.assignments())
def test_solution_notebook_passes_nbval_in_fast_profile(assignment, tmp_path):
    env = dict(os.environ, COURSE_PROFILE="fast", COURSE_CACHE_DIR=str(tmp_path / "cache"),
               COURSE_RESULTS_DIR=str(tmp_path / "results"), MPLBACKEND="Agg")
    root = real_data_root()
    if root is not None:
        env["COURSE_DATA_DIR"] = str(root)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
         str(course.SOLUTIONS / assignment / f"{assignment}.ipynb")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900,
    )
    assert proc.returncode == 0, f"nbval failed for {assignment}:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    assert (tmp_path / "results" / f"{assignment}.json").is_file(), "the notebook did not record its results"
