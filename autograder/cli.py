"""``python -m autograder``: release, grade, selftest, demo.

    release [--check] [ID ...]     regenerate notebooks/ from solutions/ (or check they are in sync)
    grade SUBMISSIONS [--assignment ID ...] [--workspace DIR] [--no-feedback] [--jobs N] [--scheduler ADDRESS]
                                   autograde a class (concurrently: all cores by default, or on a Dask
                                   cluster), write grades.csv, print the grade table
    selftest [ID ...]              solutions earn every autograded point; untouched releases earn none
    demo                           release --check, then grade the bundled sample submissions
    report [ID ...]                an HTML page per graded assignment and an index (scores, test pass rates,
                                   common failures, ungraded submissions, grading times, manual grading)
    similarity ID                  pairwise similarity of the students' own code, with an HTML report
    export --format csv|canvas|moodle [--output FILE]
                                   grades (autograded + manual) for a spreadsheet, Canvas or Moodle
    export --format lti            the same grades posted to the LMS by LTI 1.3 (docs/lms.md)
    lti-roster                     the LMS's learners into the gradebook, with their LTI user ids
    lti-jwks                       the tool's public key set, for the LMS's registration of the tool
    bundle OUT                     what students get: released notebooks, course_utils, set-up files, README
    gradescope ID [--output ZIP] [--late-penalty-per-day F] [--late-penalty-max F]
                                   the Gradescope autograder zip of one assignment (upload it as is)
    gradescope-run                 what the zip's run_autograder runs: grade /autograder/submission
    gradescope-prefetch            what the zip's setup.sh runs: fetch the data the assignment loads
    gradescope-secure              what the zip's setup.sh runs last: the grader's files readable by root only
    formgrader-config [--output FILE]
                                   ~/.jupyter/nbgrader_config.py loading the kit's configuration, so that the
                                   formgrader's buttons and the nbgrader command line grade through the kit
    hub-setup --course ID --instructor NAME --students A,B --kit DIR [...]
                                   (root) a course on one JupyterHub machine: users, groups, exchange,
                                   environments, the hub's configuration (docs/jupyterhub.md)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import course, grader_settings, release, selftest

from .grading.outcomes import STATUS_ABSENT, format_table, write_csv


def _fail(message: str) -> int:
    """A one-line error for bad input (never a traceback); exit status 2."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def _cmd_report(args: argparse.Namespace) -> int:
    from . import classbook, report

    ws = classbook.workspace_for(args.workspace)
    try:
        pages = report.write(ws, args.ids or None, Path(args.out).resolve() if args.out else None)
    except (classbook.ClassbookError, OSError) as exc:
        return _fail(str(exc))
    print(f"report: {pages[0]} ({len(pages) - 1} assignment page{'s' if len(pages) != 2 else ''})")
    return 0


def _cmd_similarity(args: argparse.Namespace) -> int:
    from . import classbook, similarity

    ws = classbook.workspace_for(args.workspace)
    folder = Path(args.submissions).resolve() if args.submissions else ws.submitted
    out = Path(args.out).resolve() if args.out else ws.root / "similarity" / f"{args.assignment}.html"
    try:
        pairs, notes, path = similarity.run(args.assignment, folder, out)
    except (ValueError, OSError) as exc:
        return _fail(str(exc))
    for note in notes:
        print(f"note: {note}")
    for p in pairs[: args.top]:
        print(f"{100 * p.score:5.1f} %  {p.a} - {p.b}  ({100 * p.sim_a:.0f} % / {100 * p.sim_b:.0f} %, "
              f"{p.overlap} matching tokens)")
    print(f"similarity: {path} ({len(pairs)} pairs)")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from . import classbook, export

    ws = classbook.workspace_for(args.workspace)
    if args.format == "lti":
        return _lti_passback(ws, args)
    try:
        notes = export.write(ws, args.format, Path(args.output).resolve() if args.output else None, args.assignment)
    except (classbook.ClassbookError, OSError) as exc:
        return _fail(str(exc))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.output:
        print(f"export: {args.format} grades in {args.output}", file=sys.stderr)
    return 0


def _lti_passback(ws, args: argparse.Namespace) -> int:
    """``export --format lti``: post the grades to the LMS (autograder/deploy/lti.py); non-zero exit on any failure."""
    from . import classbook
    from .deploy import lti

    if args.output:
        return _fail("--format lti posts to the LMS and writes no file: leave out --output")
    try:
        report = lti.passback(ws, lti.LtiPlatform.load(lti.config_path(ws)), args.assignment)
    except (lti.LtiError, classbook.ClassbookError, OSError) as exc:
        return _fail(str(exc))
    for assignment, student, points, progress in report.posted:
        print(f"{student} {assignment}: {points:g} ({progress})")
    for line in report.failed:
        print(f"failed: {line}", file=sys.stderr)
    print(f"lti: {len(report.posted)} scores posted, {len(report.failed)} failed, in {report.seconds:g} s "
          f"({report.tokens} access token{'s' if report.tokens != 1 else ''})", file=sys.stderr)
    return 1 if report.failed else 0


def _cmd_lti_roster(args: argparse.Namespace) -> int:
    from . import classbook
    from .deploy import lti

    ws = classbook.workspace_for(args.workspace)
    try:
        lines = lti.roster(ws, lti.LtiPlatform.load(lti.config_path(ws)))
    except (lti.LtiError, OSError) as exc:
        return _fail(str(exc))
    for line in lines:
        print(line)
    print(f"lti-roster: {len(lines)} learners in the gradebook with their LTI user id", file=sys.stderr)
    return 0


def _cmd_lti_jwks(args: argparse.Namespace) -> int:
    import json

    from . import classbook
    from .deploy import lti

    try:
        jwk = lti.LtiPlatform.load(lti.config_path(classbook.workspace_for(args.workspace))).public_jwk()
    except (lti.LtiError, OSError) as exc:
        return _fail(str(exc))
    print(json.dumps({"keys": [jwk]}, indent=2))
    return 0


def _cmd_formgrader_config(args: argparse.Namespace) -> int:
    from .deploy import formgrader

    try:
        path = formgrader.write(Path(args.output) if args.output else None)
    except (FileExistsError, OSError) as exc:
        return _fail(str(exc))
    print(f"wrote {path}: nbgrader and its formgrader now read the kit's configuration")
    return 0


def _cmd_bundle(args: argparse.Namespace) -> int:
    from . import bundle

    try:
        files = bundle.write(Path(args.out))
    except (bundle.BundleError, OSError) as exc:
        return _fail(str(exc))
    print(f"bundle: {len(files)} files in {Path(args.out).resolve()} (students: pip install -e <that folder>)")
    return 0


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
    from .grading import engine  # one path: --jobs 1 is the same grading with one slot

    try:
        graded, notes = engine.grade_class_parallel(submissions, workspace, ids, feedback=feedback, jobs=jobs,
                                                    scheduler=scheduler)
    except (ValueError, engine.SandboxExposed) as exc:  # an unknown assignment id; a sandbox that would expose
        return _fail(str(exc))
    csv_path = workspace.root / "grades.csv"
    write_csv(graded, csv_path)
    table = format_table(graded)
    (workspace.root / "report.txt").write_text("\n".join([*notes, "", table, ""]))
    print()
    print(table)
    for note in notes:
        print(note if note.startswith(("sandbox:", "engine:")) else f"note: {note}")
    absent = sum(o.status == STATUS_ABSENT for o in graded)
    print(f"\n{len(graded) - absent} notebooks graded ({absent} not submitted) in {time.perf_counter() - start:.0f}s; "
          f"grades in {csv_path}, feedback in {workspace.feedback}, gradebook {workspace.gradebook}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    ws = course.Workspace(Path(args.workspace).resolve()) if args.workspace else grader_settings.workspace()
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
    status = _grade(course.SAMPLES, grader_settings.workspace(), None, True)
    from . import report

    pages = report.write(grader_settings.workspace())
    print(f"report: {pages[0]} (open it in a browser)")
    return status


def _cmd_gradescope(args: argparse.Namespace) -> int:
    from .deploy import gradescope

    try:
        path = gradescope.build_zip(args.id, Path(args.output) if args.output else None,
                                    args.late_penalty_per_day, args.late_penalty_max, args.gradescope_timeout,
                                    with_data=args.with_data)
    except (ValueError, OSError) as exc:
        return _fail(str(exc))
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): upload it as the programming assignment's autograder "
          "(Gradescope: Configure Autograder > Zip file upload)")
    return 0


def _cmd_gradescope_run(args: argparse.Namespace) -> int:
    from .deploy import gradescope

    results = gradescope.run()
    print(f"score {results['score']:g}; {results['output'].splitlines()[0]}")
    return 0  # the verdict is in results.json; the autograder itself never fails


def _cmd_gradescope_prefetch(args: argparse.Namespace) -> int:
    from .deploy import gradescope

    from course_utils.data import DataUnavailable

    try:
        print("data ready:", ", ".join(gradescope.prefetch()) or "none needed")
    except DataUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1  # the image is useless without the data: the build must fail, with the reason above
    return 0


def _cmd_gradescope_secure(args: argparse.Namespace) -> int:
    from .deploy import gradescope

    changed = gradescope.secure()
    print(f"grader's files readable by root only ({len(changed)} modes changed): "
          + ", ".join(gradescope.SECRETS))
    return 0


def _cmd_hub_setup(args: argparse.Namespace) -> int:
    from .bundle import BundleError
    from .deploy import hub

    names = lambda text: [n for n in (text or "").replace(",", " ").split() if n]  # noqa: E731
    try:
        course = hub.HubCourse(
            course_id=grader_settings.valid_course_id(args.course), instructors=names(args.instructor),
            students=names(args.students), kit=args.kit, prefix=args.prefix or "",
            exchange_parent=args.exchange_parent or "", data_dir=args.data, python=args.python or "",
            ip=args.ip, port=args.port, authenticator=args.authenticator, spawner=args.spawner,
            mem_limit=args.mem_limit, cpu_limit=args.cpu_limit,
            late_penalty_per_day=args.late_penalty_per_day, late_penalty_max=args.late_penalty_max,
            lti_issuer=args.lti_issuer, lti_client_id=args.lti_client_id, lti_authorize_url=args.lti_authorize_url,
            lti_jwks_url=args.lti_jwks_url)
        for line in hub.setup(course, create_users=args.create_users):
            print(line)
    except (hub.HubSetupError, BundleError, ValueError, OSError) as exc:
        return _fail(str(exc))
    return 0


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
    p.add_argument("--workspace", help="folder for submitted/autograded/feedback/gradebook (default: $COURSE_GRADING_DIR, else autograder/)")
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

    workspace_help = "the grading workspace (default: $COURSE_GRADING_DIR, else autograder/)"
    p = sub.add_parser("report", help="HTML grading report per assignment, written next to the grades")
    p.add_argument("ids", nargs="*", help="assignment ids (default: every graded one)")
    p.add_argument("--workspace", help=workspace_help)
    p.add_argument("--out", help="folder for the pages (default: <workspace>/report)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("similarity", help="pairwise similarity of the students' own code")
    p.add_argument("assignment")
    p.add_argument("--workspace", help=workspace_help)
    p.add_argument("--submissions", help="SUBMISSIONS/<student>/<id>/ folder (default: the workspace's submitted/)")
    p.add_argument("--out", help="HTML file (default: <workspace>/similarity/<id>.html)")
    p.add_argument("--top", type=int, default=10, help="pairs to print (default 10)")
    p.set_defaults(func=_cmd_similarity)

    p = sub.add_parser("export", help="grades as a plain CSV or a Canvas / Moodle import file, or posted to the LMS "
                                      "by LTI 1.3 (--format lti, docs/lms.md)")
    p.add_argument("--format", choices=["csv", "canvas", "moodle", "lti"], default="csv")
    p.add_argument("--output", help="file to write (default: stdout)")
    p.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    p.add_argument("--workspace", help=workspace_help)
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("lti-roster", help="add the LMS's learners (LTI 1.3 Names and Role Provisioning) to the "
                                          "gradebook with their LTI user ids")
    p.add_argument("--workspace", help=workspace_help)
    p.set_defaults(func=_cmd_lti_roster)
    p = sub.add_parser("lti-jwks", help="the tool's public key set (JWKS) to paste into the LMS's registration")
    p.add_argument("--workspace", help=workspace_help)
    p.set_defaults(func=_cmd_lti_jwks)

    p = sub.add_parser("bundle", help="the student edition: released notebooks, course_utils, set-up, README")
    p.add_argument("out", help="an empty or new folder outside the repository")
    p.set_defaults(func=_cmd_bundle)

    p = sub.add_parser("gradescope", help="the Gradescope autograder zip of one assignment")
    p.add_argument("id", help="assignment id")
    p.add_argument("--output", help="zip file to write (default: gradescope-ID.zip)")
    p.add_argument("--late-penalty-per-day", type=float, default=None,
                   help="fraction of the score taken per started day after the due date (default: the course's "
                        "COURSE_LATE_PENALTY_PER_DAY, else 0: none)")
    p.add_argument("--late-penalty-max", type=float, default=None,
                   help="largest fraction taken (default: COURSE_LATE_PENALTY_MAX, else 1)")
    p.add_argument("--gradescope-timeout", type=int, default=600,
                   help="the autograder time-out set on Gradescope, in seconds (default 600, Gradescope's default); "
                        "the kit stops a notebook 90 s before it")
    p.add_argument("--with-data", action="store_true",
                   help="put the data the notebook loads into the zip (images built without a network)")
    p.set_defaults(func=_cmd_gradescope)
    p = sub.add_parser("gradescope-run", help="(in the Gradescope container) grade the submission")
    p.set_defaults(func=_cmd_gradescope_run)
    p = sub.add_parser("gradescope-prefetch", help="(in the Gradescope container, from setup.sh) fetch the data")
    p.set_defaults(func=_cmd_gradescope_prefetch)
    p = sub.add_parser("formgrader-config", help="the instructor's nbgrader_config.py that loads the kit's")
    p.add_argument("--output", help="where to write it (default ~/.jupyter/nbgrader_config.py)")
    p.set_defaults(func=_cmd_formgrader_config)
    p = sub.add_parser("hub-setup", help="(as root, on a JupyterHub machine) set a course up: users, groups, "
                                         "exchange, environments, the hub's configuration (docs/jupyterhub.md)")
    p.add_argument("--course", required=True, help="the course id (nbgrader's; groups nbgrader-ID, formgrade-ID)")
    p.add_argument("--instructor", required=True, help="instructors' user names (comma-separated)")
    p.add_argument("--students", default="", help="students' user names (comma-separated)")
    p.add_argument("--kit", required=True, help="the instructor's copy of this kit, inside the instructor's home")
    p.add_argument("--create-users", action="store_true", help="make missing system users (homes 0700)")
    p.add_argument("--prefix", help="where the hub's files go (default /opt/course-hub/ID)")
    p.add_argument("--exchange-parent", help="folder holding nbgrader's exchange (default /srv/nbgrader/ID)")
    p.add_argument("--data", help="the shared, read-only data root (COURSE_DATA_DIR of every server)")
    p.add_argument("--python", help="an installed Python with the course's dependencies and JupyterHub for the "
                                    "servers (default: build PREFIX/env with pip)")
    p.add_argument("--ip", default="", help="the hub's address (default: every interface)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--authenticator", choices=["pam", "native", "lti"], default="pam")
    p.add_argument("--lti-issuer", default="", help="(lti) the LMS's issuer, e.g. https://canvas.instructure.com")
    p.add_argument("--lti-client-id", default="", help="(lti) the tool's client id in the LMS")
    p.add_argument("--lti-authorize-url", default="", help="(lti) the LMS's OIDC authorization endpoint")
    p.add_argument("--lti-jwks-url", default="", help="(lti) the LMS's public key set")
    p.add_argument("--spawner", choices=["local", "systemd"], default="local")
    p.add_argument("--mem-limit", help="per-user memory, e.g. 4G (enforced by the systemd spawner)")
    p.add_argument("--cpu-limit", type=float, help="per-user CPUs (enforced by the systemd spawner)")
    p.add_argument("--late-penalty-per-day", type=float, default=0.0)
    p.add_argument("--late-penalty-max", type=float, default=1.0)
    p.set_defaults(func=_cmd_hub_setup)
    p = sub.add_parser("gradescope-secure", help="(in the Gradescope container, from setup.sh) make the grader's "
                                                 "files readable by root only")
    p.set_defaults(func=_cmd_gradescope_secure)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
