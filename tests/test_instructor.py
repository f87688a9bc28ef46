"""The instructor's verbs beyond grading: report, similarity, export, bundle.

The report and the exports read the session's graded sample class (``sample_class`` in conftest) and are
checked against the gradebook read directly with nbgrader's API; the similarity check against a planted
copy; the bundle against the text of every solution and hidden-test region, and by installing it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder import bundle, classbook, course, export, report, similarity
from autograder.grading import engine

from autograder.grading.outcomes import LEDGER, STATUS_ABSENT, STATUS_OK, STATUS_PROBLEM
from conftest import ROOT, SAMPLES

A = "01_binary_rnn"


class _Rows(HTMLParser):
    """Every element's ``data-*`` attributes, in document order."""

    def __init__(self):
        super().__init__()
        self.found: list[dict[str, str]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        data = {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}
        if data:
            self.found.append(data)
        for key in ("src", "href"):
            if attrs.get(key):
                self.links.append(attrs[key])


def _parse(path: Path) -> _Rows:
    parser = _Rows()
    parser.feed(path.read_text())
    return parser


def _gradebook(ws: course.Workspace, assignment: str) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {cell: (score, max)}} straight from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        return {sub.student_id: {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades}
                for sub in gb.find_assignment(assignment).submissions}


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


# ------------------------------------------------------------------------------------------------ report
@pytest.fixture(scope="module")
def report_pages(sample_class, tmp_path_factory):
    _, ws, _ = sample_class
    out = tmp_path_factory.mktemp("report")
    result = _cli("report", "--workspace", str(ws.root), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, ws


@pytest.mark.slow
def test_report_has_an_index_and_a_page_per_graded_assignment(report_pages):
    out, _ = report_pages
    assert sorted(p.name for p in out.glob("*.html")) == sorted(["index.html", *(f"{a}.html" for a in course.assignments())])
    index = _parse(out / "index.html")
    assert [d["assignment"] for d in index.found if "assignment" in d] == course.assignments()


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["01_binary_rnn", "04_fmnist_gan_losses"])
def test_report_pass_rates_and_scores_equal_the_gradebook(report_pages, assignment):
    out, ws = report_pages
    page = _parse(out / f"{assignment}.html")
    book = _gradebook(ws, assignment)
    tests = [c for c in course.graded_cells(assignment) if c.autograded]
    rows = {d["test"]: d for d in page.found if "test" in d}
    assert list(rows) == [c.grade_id for c in tests], "one row per autograded test cell, in notebook order"
    for cell in tests:
        passed = sum(1 for cells in book.values() if cells[cell.grade_id][0] == cells[cell.grade_id][1])
        assert (int(rows[cell.grade_id]["passed"]), int(rows[cell.grade_id]["graded"])) == (passed, len(book)), cell
    students = {d["student"]: d for d in page.found if "student" in d}
    for student, cells in book.items():
        auto = sum(score for gid, (score, _) in cells.items() if gid in {c.grade_id for c in tests})
        assert float(students[student]["score"]) == auto, f"{student}: page {students[student]['score']}, gradebook {auto}"
        assert students[student]["status"] == STATUS_OK
    absent = {s for s, d in students.items() if d["status"] == STATUS_ABSENT}
    assert absent == {"alice", "bob", "carol", "dave", "erin"} - set(book)
    summary = next(d for d in page.found if "submitted" in d)
    assert int(summary["graded"]) == len(book) and int(summary["not-graded"]) == 0


@pytest.mark.slow
def test_report_groups_failure_messages_and_is_self_contained(report_pages):
    out, _ = report_pages
    text = (out / f"{A}.html").read_text()
    assert "sigma(0) must be 0" in text, "carol's hidden-test failure is listed"
    page = _parse(out / f"{A}.html")
    failures = [d for d in page.found if "failure" in d]
    not_implemented = [d for d in failures if d["failure"] == "test_add_with_rnn_64_bit"]
    assert not_implemented and max(int(d["count"]) for d in not_implemented) == 2, \
        "bob's and carol's NotImplementedError on the same test are one group of 2"
    assert not [d for d in failures if d["failure"] in ("results", "try-it", "weights")], "only test cells are listed"
    assert "data:image/png;base64," in text
    assert not [link for link in page.links if re.match(r"https?:", link)], "no external resource"
    manual = next(d for d in page.found if "todo" in d)
    assert (int(manual["done"]), int(manual["todo"])) == (0, 5), "five graded notebooks, one manual cell each, none graded"


def test_report_pure_functions_group_messages_by_their_mistake():
    a = report.failure_pattern("CheckFailure: y for 39 + 50: expected [1 0 0], got [0 0 0]")
    b = report.failure_pattern("CheckFailure: y for 39 + 50: expected [1 0 0], got [1 1 1]")
    c = report.failure_pattern("CheckFailure: x for 39 + 50: expected [1 0 0], got [1 1 1]")
    assert a == b != c


def test_report_and_export_of_an_empty_or_missing_workspace_give_one_line_errors(tmp_path):
    for verb in (["report"], ["export", "--format", "canvas"]):
        result = _cli(*verb, "--workspace", str(tmp_path / "nowhere"))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "no graded class" in result.stderr, result.stderr
    result = _cli("report", "no_such_assignment", "--workspace", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_class_of_only_broken_submissions_reports_and_exports_without_a_traceback(tmp_path):
    subs = tmp_path / "subs"
    for student, content in (("x1", "{not json"), ("x2", ""), ("x3", json.dumps({"cells": 3}))):
        (subs / student / A).mkdir(parents=True)
        (subs / student / A / f"{A}.ipynb").write_text(content)
    ws = course.Workspace(tmp_path / "ws")
    outcomes, _ = engine.grade_class(subs, ws, [A], feedback=False, progress=False)
    assert all(o.status == STATUS_PROBLEM for o in outcomes), outcomes
    result = _cli("report", "--workspace", str(ws.root))
    assert result.returncode == 0, result.stderr
    page = _parse(ws.root / "report" / f"{A}.html")
    assert sorted(d["not-graded"] for d in page.found if "not-graded" in d and "students" not in d) == ["x1", "x2", "x3"]
    result = _cli("export", "--format", "moodle", "--workspace", str(ws.root))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["username", A, f"{A} feedback"] and [r[1] for r in rows[1:]] == ["0", "0", "0"]
    assert "could not be graded" in result.stderr


# ------------------------------------------------------------------------------------------------ export
@pytest.fixture
def class_copy(sample_class, tmp_path):
    """A copy of the graded sample class's gradebook and ledger, free to change."""
    _, ws, _ = sample_class
    copy = course.Workspace(tmp_path / "ws")
    copy.root.mkdir()
    for name in ("gradebook.db", LEDGER):
        shutil.copyfile(ws.root / name, copy.root / name)
    return copy


def _manual_grade(ws: course.Workspace, assignment: str, student: str, points: float) -> None:
    """Give every manually graded cell of a submission ``points`` (as formgrader would)."""
    from nbgrader.api import Gradebook

    manual = {c.grade_id for c in course.graded_cells(assignment) if not c.autograded}
    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        for nb in gb.find_submission(assignment, student).notebooks:
            for g in nb.grades:
                if g.name in manual:
                    g.manual_score = points
                    g.needs_manual_grade = False
        gb.db.commit()


@pytest.mark.slow
def test_canvas_export_has_canvas_columns_points_possible_and_totals(class_copy):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{class_copy.gradebook}") as gb:
        gb.update_or_create_student("alice", first_name="Alice", last_name="Liddell", lms_user_id="4711")
    _manual_grade(class_copy, A, "alice", 3.0)
    table, notes = export.rows(class_copy, "canvas")
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *course.assignments()]
    assert table[1][:5] == ["Points Possible", "", "", "", ""]
    assert [float(x) for x in table[1][5:]] == [sum(course.max_points(a)) for a in course.assignments()]
    alice = next(r for r in table[2:] if r[2] == "alice")
    assert alice[:5] == ["Liddell, Alice", "4711", "alice", "alice", ""]
    assert float(alice[5]) == 10 + 3.0, "alice's 01: 10 autograded + 3 manual points"
    dave = next(r for r in table[2:] if r[2] == "dave")
    assert [float(x) for x in dave[5:]] == [10.0] + [0.0] * (len(course.assignments()) - 1)
    assert any(n.startswith(f"{A}: manual grading unfinished for 4 of 5 students") for n in notes), notes
    assert not any("alice" in n for n in notes if n.startswith(f"{A}: manual")), "alice's manual grading is done"


@pytest.mark.slow
def test_moodle_and_plain_csv_exports_give_auto_manual_and_the_pending_note(class_copy):
    _manual_grade(class_copy, A, "dave", 2.0)
    table, _ = export.rows(class_copy, "moodle", [A])
    assert table[0] == ["username", A, f"{A} feedback"]
    by_user = {r[0]: r for r in table[1:]}
    assert by_user["dave"][1:] == ["12", ""]
    assert by_user["carol"][1:] == ["5", export.PENDING]
    table, _ = export.rows(class_copy, "csv", [A])
    assert table[0] == ["student", "first_name", "last_name", "email", f"{A} auto", f"{A} manual", f"{A} total",
                        f"{A} status", "total", "max_total", "notes"]
    by_student = {r[0]: dict(zip(table[0], r)) for r in table[1:]}
    assert (by_student["dave"][f"{A} auto"], by_student["dave"][f"{A} manual"], by_student["dave"]["total"]) == ("10", "2", "12")
    assert by_student["erin"]["notes"] == f"{export.PENDING}: {A}"
    assert by_student["bob"][f"{A} status"] == STATUS_OK and by_student["bob"]["max_total"] == "13"


def test_export_rejects_an_unknown_format_and_assignment(tmp_path):
    result = _cli("export", "--format", "blackboard", "--workspace", str(tmp_path))
    assert result.returncode == 2 and "invalid choice" in result.stderr
    (tmp_path / LEDGER).write_text("")
    result = _cli("export", "--assignment", "99_nothing", "--workspace", str(tmp_path))
    assert result.returncode == 2 and "unknown assignment 99_nothing" in result.stderr and "Traceback" not in result.stderr


# -------------------------------------------------------------------------------------------- similarity
RENAMES = {"bits": "to_bits", "T": "length", "h": "state", "ys": "outputs", "x_t": "col", "total": "acc"}


def _plant_copy(source: dict) -> dict:
    """A copy of a submission with variables renamed, its solution cells' contents in reverse order (functions
    reordered) and new comments: what a student hiding a copy would do."""
    nb = json.loads(json.dumps(source))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")]
    texts = []
    for c in cells:
        text = "".join(c["source"])
        for old, new in RENAMES.items():
            text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        text = re.sub(r"#.*", "# my own approach, worked out on paper", text)
        texts.append(text)
    for c, text in zip(cells, reversed(texts)):
        c["source"] = text
    return nb


@pytest.fixture(scope="module")
def similarity_class(tmp_path_factory):
    subs = tmp_path_factory.mktemp("similarity")
    for student in sorted(p.name for p in SAMPLES.iterdir() if (p / A).is_dir()):
        shutil.copytree(SAMPLES / student / A, subs / student / A)
    dave = json.loads((SAMPLES / "dave" / A / f"{A}.ipynb").read_text())
    planted = _plant_copy(dave)
    assert similarity.own_code(planted) != similarity.own_code(dave)
    (subs / "mallory" / A).mkdir(parents=True)
    (subs / "mallory" / A / f"{A}.ipynb").write_text(json.dumps(planted))
    return subs


def test_a_planted_copy_ranks_first_and_independent_solutions_score_low(similarity_class, tmp_path):
    pairs, notes, out = similarity.run(A, similarity_class, tmp_path / "sim.html")
    assert not notes
    assert {pairs[0].a, pairs[0].b} == {"dave", "mallory"}, [(p.a, p.b, round(p.score, 2)) for p in pairs[:4]]
    assert pairs[0].score > 0.9, pairs[0]
    score = {frozenset((p.a, p.b)): p.score for p in pairs}
    assert score[frozenset(("alice", "dave"))] < 0.3, "two independent correct solutions"
    assert all(s == 0 for k, s in score.items() if "bob" in k), "the untouched release is all given code"
    text = out.read_text()
    assert "<mark>" in text and "mallory" in text.split("<h2>")[1], "the first pair's passages are shown side by side"


def test_similarity_cli_handles_unknown_assignment_and_empty_class(tmp_path):
    result = _cli("similarity", "99_nothing", "--submissions", str(tmp_path))
    assert result.returncode == 2 and "unknown assignment" in result.stderr and "Traceback" not in result.stderr
    result = _cli("similarity", A, "--submissions", str(tmp_path), "--out", str(tmp_path / "s.html"))
    assert result.returncode == 0 and "nothing to compare" in result.stdout, result.stdout + result.stderr
    (tmp_path / "x1" / A).mkdir(parents=True)
    (tmp_path / "x1" / A / f"{A}.ipynb").write_text("{broken")
    (tmp_path / "x2" / A).mkdir(parents=True)
    (tmp_path / "x2" / A / f"{A}.ipynb").write_text("[]")
    result = _cli("similarity", A, "--submissions", str(tmp_path), "--out", str(tmp_path / "s.html"))
    assert result.returncode == 0 and "does not parse" in result.stdout and "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------------------ bundle
def _regions(assignment: str) -> list[list[str]]:
    """The solution and hidden-test regions (and model answers) of a source notebook, each as its stripped,
    non-empty lines."""
    nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    regions = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        body = cell.source
        if cell.cell_type == "markdown" and meta.get("solution"):
            body = body.split("=== BEGIN MARK SCHEME ===")[0]
            inside = "BEGIN SOLUTION" not in body  # a model answer cell is all answer
        else:
            inside = False
        current: list[str] = []
        for line in body.splitlines():
            if re.search(r"### BEGIN (SOLUTION|HIDDEN TESTS)", line):
                inside, current = True, []
            elif re.search(r"### END (SOLUTION|HIDDEN TESTS)", line):
                inside = False
                regions.append(current)
            elif inside and line.strip():
                current.append(line.strip())
        if inside and current:
            regions.append(current)
    return regions


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "course"
    result = _cli("bundle", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_bundle_holds_what_students_need_and_nothing_else(student_bundle):
    top = sorted(p.name for p in student_bundle.iterdir())
    assert top == sorted(["COURSE_BUNDLE", "LICENSE", "README.md", "course_utils", "environment.yml", "notebooks",
                          "pyproject.toml", "results"])
    assert sorted(p.name for p in (student_bundle / "notebooks").iterdir()) == course.assignments()
    for path in student_bundle.rglob("*"):
        rel = path.relative_to(student_bundle).as_posix()
        assert not re.search(r"(^|/)(solutions|autograder|samples|tests|__pycache__)(/|$)", rel), rel
    assert not list(student_bundle.rglob("guard*.py")) and not (student_bundle / "grading_kernel").exists(), \
        "the grading kernel's guard is not shipped"
    assert "distributed" not in (student_bundle / "pyproject.toml").read_text()


@pytest.mark.slow
def test_no_solution_or_hidden_test_text_appears_in_the_bundle(student_bundle):
    """Any distinctive line (over 30 characters) of a solution or hidden-test region that is not given code in the
    release is a leak in the notebooks, results and set-up files; in course_utils' own code a leak is three
    consecutive lines of a region (one or two, such as ``model.eval()`` then ``correct = total = 0``, are
    ordinary code that course_utils has too)."""
    release_lines = set()
    for a in course.assignments():
        nb = nbformat.read(course.RELEASE / a / f"{a}.ipynb", as_version=4)
        release_lines |= {ln for cell in nb.cells for ln in _lines(cell.source)}
    files = {}
    for path in student_bundle.rglob("*"):
        if path.is_file() and path.suffix != ".pt":
            text = path.read_text(errors="replace")
            if path.suffix == ".ipynb":  # compare cell sources line by line, not JSON-escaped text
                text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            files[path.relative_to(student_bundle).as_posix()] = text
    singles = {name: set(_lines(t)) for name, t in files.items() if not name.startswith("course_utils/")}
    code_runs = {name: set(zip(_lines(t), _lines(t)[1:], _lines(t)[2:])) for name, t in files.items()
                 if name.startswith("course_utils/")}
    checked = 0
    for assignment in course.assignments():
        for region in _regions(assignment):
            for line in region:
                if len(line) > 30 and line not in release_lines:
                    checked += 1
                    leaks = [name for name, lines in singles.items() if line in lines]
                    assert not leaks, f"a solution / hidden-test line of {assignment} is in the bundle ({leaks}): {line!r}"
            for run in zip(region, region[1:], region[2:]):
                if sum(map(len, run)) > 40 and not set(run) <= release_lines:
                    leaks = [name for name, runs in code_runs.items() if run in runs]
                    assert not leaks, f"three solution / hidden-test lines of {assignment} are in {leaks}: {run!r}"
    assert checked > 300, f"only {checked} distinctive lines checked"


@pytest.mark.slow
def test_the_bundle_installs_with_one_pip_command_and_notebook_01_passes_its_visible_tests(student_bundle, tmp_path):
    """A fresh virtual environment; the kit's own .venv lends it the dependencies (no network), so pip checks
    that the bundle's pinned requirements are met and installs only the bundle itself."""
    import site
    import sysconfig

    venv = tmp_path / "venv"
    # without pip: the venv's own old setuptools would shadow the lent one; pip itself is lent too
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    lender = sysconfig.get_paths()["purelib"]
    assert lender in site.getsitepackages() or lender.startswith(sys.prefix)
    (Path(purelib) / "lend-kit-deps.pth").write_text(lender + "\n")
    result = subprocess.run([str(py), "-m", "pip", "install", "--no-index", "--no-build-isolation", "-e",
                             str(student_bundle)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Successfully installed dl-course-student" in result.stdout
    where = subprocess.run([str(py), "-c", "import course_utils, course_utils.paths as p; "
                            "print(course_utils.__file__); print(p.repo_root())"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    assert where[0].startswith(str(student_bundle)) and where[1] == str(student_bundle), where

    answered = tmp_path / "01_answered.ipynb"
    shutil.copyfile(SAMPLES / "alice" / A / f"{A}.ipynb", answered)  # the release with correct answers
    run = subprocess.run(
        [str(py), "-c", "import sys, nbformat; from nbclient import NotebookClient; "
         "nb = nbformat.read(sys.argv[1], as_version=4); NotebookClient(nb, timeout=300, kernel_name='python3').execute(); "
         "print('visible tests passed')", str(answered)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "COURSE_PROFILE": "fast", "MPLBACKEND": "Agg",
             "COURSE_CACHE_DIR": str(tmp_path / "cache")})
    assert run.returncode == 0 and "visible tests passed" in run.stdout, run.stdout[-2000:] + run.stderr[-4000:]


def test_bundle_refuses_a_folder_that_is_not_empty_or_inside_the_repository(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    for target in (tmp_path / "full", ROOT / "bundle-here"):
        result = _cli("bundle", str(target))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert not (ROOT / "bundle-here").exists()
