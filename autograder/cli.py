"""``python -m autograder``: release, grade, selftest, demo.

    release [--check] [ID ...]     regenerate notebooks/ from solutions/ (or check they are in sync)
    grade SUBMISSIONS [--assignment ID ...] [--workspace DIR] [--no-feedback] [--jobs N] [--scheduler ADDRESS]
                                   autograde a class (concurrently: all cores by default, or on a Dask
                                   cluster), write grades.csv, print the grade table
    selftest [ID ...]              solutions earn every autograded point; untouched releases earn none
    demo                           release --check, then grade the bundled sample submissions
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import course, grade, release, selftest


def _cmd_release(args: argparse.Namespace) -> int:
    ids = args.ids or None
    if args.check:
        problems = release.check(ids)
        if problems:
            print("notebooks/ is out of sync with solutions/:", *problems, sep="\n  ", file=sys.stderr)
            return 1
        print(f"notebooks/ is in sync with solutions/ ({', '.join(ids or course.assignments())})")
        return 0
    for path in release.release(ids):
        print(f"released {path.relative_to(course.ROOT)}")
    return 0


def _grade(submissions: Path, workspace: course.Workspace, ids: list[str] | None, feedback: bool,
           jobs: int | None = None, scheduler: str | None = None) -> int:
    if not submissions.is_dir():
        print(f"error: {submissions} is not a folder of student submissions", file=sys.stderr)
        return 2
    start = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 and not scheduler:
        outcomes, notes = grade.grade_class(submissions, workspace, ids, feedback=feedback)
    else:
        from . import parallel

        outcomes, notes = parallel.grade_class_parallel(submissions, workspace, ids, feedback=feedback, jobs=jobs,
                                                        scheduler=scheduler)
    csv_path = workspace.root / "grades.csv"
    grade.write_csv(outcomes, csv_path)
    table = grade.format_table(outcomes)
    (workspace.root / "report.txt").write_text("\n".join([*notes, "", table, ""]))
    print()
    print(table)
    for note in notes:
        print(note if note.startswith(("sandbox:", "engine:")) else f"note: {note}")
    absent = sum(o.status == grade.STATUS_ABSENT for o in outcomes)
    print(f"\n{len(outcomes) - absent} notebooks graded ({absent} not submitted) in {time.perf_counter() - start:.0f}s; "
          f"grades in {csv_path}, feedback in {workspace.feedback}, gradebook {workspace.gradebook}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    ws = course.Workspace(Path(args.workspace).resolve()) if args.workspace else course.Workspace.default()
    return _grade(Path(args.submissions).resolve(), ws, args.assignment, not args.no_feedback, args.jobs, args.scheduler)


def _cmd_selftest(args: argparse.Namespace) -> int:
    results = selftest.run(args.ids or None)
    print(selftest.report(results))
    return 1 if any(r.problems for r in results) else 0


def _cmd_demo(args: argparse.Namespace) -> int:
    problems = release.check()
    if problems:
        print("notebooks/ is out of sync with solutions/:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"release: notebooks/ is in sync with solutions/ ({len(course.assignments())} notebooks)")
    print(f"grading the sample submissions in {course.SAMPLES.relative_to(course.ROOT)}/ ...")
    return _grade(course.SAMPLES, course.Workspace.default(), None, True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/")
    p.add_argument("ids", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--check", action="store_true", help="exit 1 if notebooks/ differs from a fresh release")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("grade", help="autograde a folder of submissions (SUBMISSIONS/<student>/<id>/<id>.ipynb)")
    p.add_argument("submissions")
    p.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")
    p.add_argument("--workspace", help="folder for submitted/autograded/feedback/gradebook (default: autograder/)")
    p.add_argument("--no-feedback", action="store_true", help="skip the HTML feedback")
    p.add_argument("--jobs", type=int, default=None,
                   help="notebooks graded at once (default: one per CPU core; 1 grades one after another)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786) instead of this machine")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("selftest", help="solutions earn all autograded points, releases earn none")
    p.add_argument("ids", nargs="*")
    p.set_defaults(func=_cmd_selftest)

    p = sub.add_parser("demo", help="release check + grade the bundled sample submissions")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
