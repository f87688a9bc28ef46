"""The command line answers and reports problems with a non-zero exit."""

import subprocess
import sys

from conftest import ROOT


def _run(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_help_lists_the_commands():
    proc = _run("--help")
    assert proc.returncode == 0
    for command in ("release", "grade", "selftest", "demo", "report", "similarity", "export", "bundle"):
        assert command in proc.stdout


def test_grade_of_a_missing_folder_is_an_error(tmp_path):
    proc = _run("grade", str(tmp_path / "nope"), "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 2 and "not a folder of student submissions" in proc.stderr
