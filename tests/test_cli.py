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


def test_make_clean_clears_the_grading_workspace_it_names_and_nothing_else(tmp_path):
    import hashlib
    import os

    ws = tmp_path / "class"
    for name in ("submitted/alice/01_binary_rnn", "autograded/alice", "feedback/alice", ".scratch"):
        (ws / name).mkdir(parents=True)
    for name in ("gradebook.db", "grades.csv", "report.txt", "outcomes.jsonl", "notes-of-the-instructor.md"):
        (ws / name).write_text("x")
    stamp = ".venv/.installed-" + hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    proc = subprocess.run(["make", "-s", "clean", "-o", stamp, f"PY={sys.executable}"], cwd=ROOT, text=True,
                          capture_output=True, env={**os.environ, "COURSE_GRADING_DIR": str(ws)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"cleared the grading workspace {ws}" in proc.stdout
    assert sorted(p.name for p in ws.iterdir()) == ["notes-of-the-instructor.md"]
