"""The formgrader's *Autograde* and *Generate Feedback* buttons, and the ``nbgrader`` command line, grade through the
kit once the instructor's ``~/.jupyter/nbgrader_config.py`` is the one ``python -m autograder formgrader-config``
writes: student code runs in the sandboxed kernel (as a uid of the sandbox's pool, never the instructor's), and
feedback holds no hidden test.

The buttons' API is built here exactly as the formgrader's handlers build it (nbgrader 0.9.6,
``server_extensions/formgrader/base.py``: ``parent.load_config_file()``, then ``NbGraderAPI(coursedir, parent=...)``),
in a process whose home is a fresh instructor's and whose working folder is not the kit's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import course
from conftest import ROOT, SAMPLES

A = "01_binary_rnn"

BUTTONS = """
import json, sys
from nbgrader.apps import NbGrader, NbGraderAPI
from nbgrader.coursedir import CourseDirectory
app = NbGrader()
app.load_config_file()                       # what FormgradeHandler.api does before every request
coursedir = CourseDirectory(parent=app)
api = NbGraderAPI(coursedir, parent=app)
out = {"course_id": coursedir.course_id, "root": coursedir.root}
out["autograde"] = [api.autograde(sys.argv[1], s, force=True, create=True)["success"] for s in ("probe", "carol")]
out["feedback"] = api.generate_feedback(sys.argv[1], "carol", force=True)["success"]
print(json.dumps(out))
"""

# what the probe student's code tries: the solution notebook (hidden tests) and another student's submission
PROBE = """
import os
print('KERNEL-UID', os.getuid())
for _p in {paths!r}:
    try:
        open(_p).read(10)
        print('READ', _p)
    except Exception as _e:
        print('BLOCKED', _p, type(_e).__name__)
"""


def _hidden_lines() -> list[str]:
    source = nbformat.read(course.SOLUTIONS / A / f"{A}.ipynb", as_version=4)
    return [line.strip() for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source
            for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
            if len(line.strip()) > 20]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's own uids exist only when grading as root")
def test_the_formgraders_buttons_grade_in_the_sandbox_and_keep_hidden_tests_out_of_feedback(tmp_path):
    ws = course.Workspace(tmp_path / "course")
    course.generate(A, ws, tmp_path / "release")  # the assignment in the course's gradebook, as the release does
    carol = ws.submitted / "carol" / A / f"{A}.ipynb"
    secrets = [str(course.SOLUTIONS / A / f"{A}.ipynb"), str(carol)]
    probe = nbformat.read(SAMPLES / "alice" / A / f"{A}.ipynb", as_version=4)
    probe.cells.append(nbformat.v4.new_code_cell(PROBE.format(paths=secrets)))
    (ws.submitted / "probe" / A).mkdir(parents=True)
    nbformat.write(probe, ws.submitted / "probe" / A / f"{A}.ipynb")
    carol.parent.mkdir(parents=True)
    shutil.copyfile(SAMPLES / "carol" / A / f"{A}.ipynb", carol)
    home, elsewhere = tmp_path / "instructor", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "HOME": str(home), "COURSE_GRADING_DIR": str(ws.root), "COURSE_ID": "dl-spring"}
    env.pop("JUPYTER_CONFIG_DIR", None)
    made = subprocess.run([sys.executable, "-m", "autograder", "formgrader-config"], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert (home / ".jupyter" / "nbgrader_config.py").is_file()

    proc = subprocess.run([sys.executable, "-c", BUTTONS, A], cwd=elsewhere, env=env, text=True,
                          capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"course_id": "dl-spring", "root": str(ROOT), "autograde": [True, True], "feedback": True}, out

    graded = nbformat.read(ws.autograded / "probe" / A / f"{A}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    assert "KERNEL-UID" in printed, "the probe cell did not run"
    uid = int(printed.split("KERNEL-UID", 1)[1].split()[0])
    assert uid in range(61000, 62000), f"the button's kernel ran as uid {uid}, not as a sandbox uid"
    assert "READ" not in printed and printed.count("BLOCKED") == 2, printed

    html = (ws.feedback / "carol" / A / f"{A}.html").read_text()
    assert not [line for line in _hidden_lines() if line in html]
    assert "hidden tests ran here" in html


def test_formgrader_config_keeps_an_instructors_own_file(tmp_path):
    from autograder.deploy import formgrader

    own = tmp_path / "nbgrader_config.py"
    own.write_text("c = get_config()\nc.Exchange.root = '/srv/x'\n")
    with pytest.raises(FileExistsError, match="load_subconfig"):
        formgrader.write(own)
    fresh = formgrader.write(tmp_path / "new" / "nbgrader_config.py")
    assert str(ROOT / "autograder" / "nbgrader_config.py") in fresh.read_text()
    assert formgrader.write(fresh) == fresh  # its own file is rewritten
