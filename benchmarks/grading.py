"""Benchmark: grading a class with this kit against plain, serial ``nbgrader autograde``.

    python benchmarks/grading.py [--students 20] [--assignment ID ...] [--jobs N] [--no-dask] [--out DIR]
    python benchmarks/grading.py --stress [--rounds 10] [--rounds-4 3] [--out DIR]

It builds a class of ``--students`` students x every released notebook from the bundled samples (a mix of
correct answers written another way, untouched releases and partly wrong ones: alice, bob and carol in
``autograder/samples``, rotated so each student has a different mix), then, on this machine and in this run:

1. plain nbgrader: a stock course folder (nbgrader's own preprocessors, the course's cell time limit),
   ``nbgrader generate_assignment`` (not timed), then ``nbgrader autograde ID`` for each notebook, one after
   another as nbgrader does it (timed);
2. this kit: ``autograder.parallel.grade_class_parallel`` with ``--jobs`` concurrent sandboxed gradings
   (default: one per core) on the default in-process Dask cluster, no feedback (nbgrader's step 1 makes none);
3. unless ``--no-dask``: the same class on a local Dask cluster of two worker *processes*, to show the
   distributed path end to end.

It prints the wall times and their ratio, the per-notebook grading time (fast profile, which nbgrader's
execution implies), the peak memory of each run's process tree, and whether every score agrees with plain
nbgrader's; the report and a JSON copy go to ``benchmarks/results/``. It is a benchmark, not a test: nothing
here fails on a slow machine.

``--stress`` instead grades the adversarial class of ``tests/adversarial_class.py`` (21 honest, broken and
hostile submissions of notebook 01) ``--rounds`` times with 2 concurrent gradings and ``--rounds-4`` times with
4 (more slots than cores), the middle 2-slot round with two busy-looping processes beside it, and checks that
every submission gets the same outcome (status and points) every time, the one the tests expect. Its report
goes to ``benchmarks/results/grading-stress-<date>.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course, parallel  # noqa: E402

KINDS = ("alice", "bob", "carol")  # correct (another way), blank, partly wrong


class PeakMemory:
    """Peak resident memory of this process and all its descendants, sampled every 0.2 s."""

    def __init__(self):
        import psutil

        self.psutil, self.peak, self._stop = psutil, 0, threading.Event()

    def _total(self) -> int:
        me = self.psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(0.2)

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()


def build_class(folder: Path, students: int, assignments: list[str]) -> dict[tuple[str, str], str]:
    """SUBMISSIONS/<student>/<id>/<id>.ipynb from the samples; returns which sample each copy is."""
    who = {}
    for i in range(students):
        student = f"s{i + 1:02d}"
        for j, assignment in enumerate(assignments):
            kind = KINDS[(i + j) % len(KINDS)]
            src = course.SAMPLES / kind / assignment / f"{assignment}.ipynb"
            dest = folder / student / assignment
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / f"{assignment}.ipynb")
            who[(student, assignment)] = kind
    return who


PLAIN_CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "plain-nbgrader-baseline"
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.Execute.execute_retries = 0
"""


def plain_nbgrader(submissions: Path, work: Path, assignments: list[str]) -> dict:
    """Serial ``nbgrader autograde`` in a stock course folder; scores from its gradebook."""
    from nbgrader.api import Gradebook

    work.mkdir(parents=True)
    (work / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(timeout=int(os.environ.get("COURSE_CELL_TIMEOUT", "120"))))
    for a in assignments:
        (work / "source" / a).mkdir(parents=True)
        shutil.copyfile(course.SOLUTIONS / a / f"{a}.ipynb", work / "source" / a / f"{a}.ipynb")
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", a, "--force"], cwd=work, check=True,
                       capture_output=True)
    shutil.copytree(submissions, work / "submitted")
    per_assignment = {}
    with PeakMemory() as mem:
        start = time.perf_counter()
        for a in assignments:
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", a, "--force"], cwd=work,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
            per_assignment[a] = time.perf_counter() - t
        wall = time.perf_counter() - start
    scores = {}
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
        for a in assignments:
            for sub in gb.find_assignment(a).submissions:
                scores[(sub.student_id, a)] = float(sub.code_score)
    return {"wall_s": wall, "per_assignment_s": per_assignment, "peak_rss_mb": mem.peak / 2**20, "scores": scores}


def kit(submissions: Path, work: Path, assignments: list[str], jobs: int, processes: bool) -> dict:
    ws = course.Workspace(work)
    with PeakMemory() as mem:
        start = time.perf_counter()
        outcomes, notes = parallel.grade_class_parallel(submissions, ws, assignments, feedback=False, jobs=jobs,
                                                        processes=processes, progress=True)
        wall = time.perf_counter() - start
    per_nb = {a: [o.seconds for o in outcomes if o.assignment == a] for a in assignments}
    return {"wall_s": wall, "peak_rss_mb": mem.peak / 2**20, "engine": next((n for n in notes if n.startswith("engine")), ""),
            "mean_notebook_s": {a: sum(v) / len(v) for a, v in per_nb.items() if v},
            "scores": {(o.student, o.assignment): o.score for o in outcomes},
            "not_ok": [f"{o.student}/{o.assignment}: {o.status} {o.reason}" for o in outcomes if o.status != "graded"]}


def compare(reference: dict, other: dict) -> list[str]:
    keys = sorted(set(reference) | set(other))
    return [f"{s}/{a}: nbgrader {reference.get((s, a))} vs kit {other.get((s, a))}"
            for s, a in keys if reference.get((s, a)) != other.get((s, a))]


def _busy_loop() -> None:  # a background CPU load (module level, so that multiprocessing can start it)
    while True:
        pass


def stress(rounds: int, rounds_4: int, out: Path) -> int:
    """Grade the adversarial class again and again; every outcome must be the expected one, every time."""
    import multiprocessing
    import socket

    import torch

    from course_utils.device import describe_machine

    sys.path.insert(0, str(ROOT / "tests"))
    import adversarial_class as adv

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()  # the network probe's target: nothing ever accepts, a connection would still succeed
    port = server.getsockname()[1]
    os.environ["COURSE_CELL_TIMEOUT"] = str(adv.CELL_TIMEOUT_S)
    os.environ["COURSE_TEST_SECRET"] = adv.SECRET
    plan = [(2, False)] * rounds + [(4, False)] * rounds_4
    if rounds:
        plan[rounds // 2] = (2, True)
    rows, failures = [], []
    for i, (jobs, loaded) in enumerate(plan, 1):
        tmp = Path(tempfile.mkdtemp(prefix="grading-stress-"))
        load = [multiprocessing.Process(target=_busy_loop, daemon=True) for _ in range(2 if loaded else 0)]
        try:
            ws = course.Workspace(tmp / "ws")
            ws.root.mkdir(parents=True)
            adv.build(tmp / "class", ws, port)
            for p in load:
                p.start()
            start = time.monotonic()
            outcomes, _ = parallel.grade_class_parallel(tmp / "class", ws, jobs=jobs, progress=False, feedback=True,
                                                        timeout=adv.NOTEBOOK_TIMEOUT_S)
            seconds = time.monotonic() - start
        finally:
            for p in load:
                p.kill()
            shutil.rmtree(tmp, ignore_errors=True)
        got = {o.student: (o.status, o.score) for o in outcomes}
        wrong = [f"round {i}: {s} got {got.get(s)}, expected {e} ({next((o.reason for o in outcomes if o.student == s), '')})"
                 for s, e in adv.EXPECTED.items() if got.get(s) != e]
        failures += wrong
        rows.append((i, jobs, loaded, seconds, len(adv.EXPECTED) - len(wrong)))
        print(f"round {i}/{len(plan)}: {jobs} slots{', 2 busy loops beside it' if loaded else ''}: {seconds:.0f} s, "
              f"{len(adv.EXPECTED) - len(wrong)}/{len(adv.EXPECTED)} as expected", flush=True)
        for w in wrong:
            print("   ", w, flush=True)
    server.close()
    stamp = dt.date.today().isoformat()
    lines = [f"# Grading stress run, {stamp}", "",
             f"machine: {describe_machine()}; torch {torch.__version__}",
             f"command: python benchmarks/grading.py --stress --rounds {rounds} --rounds-4 {rounds_4}",
             f"class: the adversarial class of notebook 01 ({len(adv.EXPECTED)} submissions, tests/adversarial_class.py); "
             f"cell limit {adv.CELL_TIMEOUT_S} s, notebook limit {adv.NOTEBOOK_TIMEOUT_S} s", "",
             "| round | slots | background load | wall time | outcomes as expected |", "|---|---|---|---|---|"]
    lines += [f"| {i} | {j} | {'2 busy loops' if ld else '-'} | {sec:.0f} s | {ok}/{len(adv.EXPECTED)} |"
              for i, j, ld, sec, ok in rows]
    lines += ["", f"**{'every submission got its expected outcome in every round' if not failures else f'{len(failures)} outcomes differed'}**"]
    lines += [f"- {f}" for f in failures]
    out.mkdir(parents=True, exist_ok=True)
    (out / f"grading-stress-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stress", action="store_true", help="grade the adversarial class repeatedly (see above)")
    ap.add_argument("--rounds", type=int, default=10, help="--stress: rounds with 2 concurrent gradings")
    ap.add_argument("--rounds-4", type=int, default=3, help="--stress: rounds with 4 concurrent gradings")
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--assignment", action="append", help="only these notebooks (default: every released one)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-dask", action="store_true", help="skip the run on two Dask worker processes")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)
    os.environ.pop("COURSE_PROFILE", None)  # nbgrader's execution implies the fast profile in both runs
    if args.stress:
        return stress(args.rounds, args.rounds_4, Path(args.out))
    assignments = args.assignment or course.assignments()

    import nbgrader
    import torch

    from course_utils.device import describe_machine

    tmp = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    try:
        who = build_class(tmp / "class", args.students, assignments)
        n = len(who)
        print(f"class: {args.students} students x {len(assignments)} notebooks = {n} submissions "
              f"({', '.join(f'{k}: {sum(v == k for v in who.values())}' for k in KINDS)})", flush=True)
        print("1/3 plain nbgrader autograde, serial ...", flush=True)
        base = plain_nbgrader(tmp / "class", tmp / "plain", assignments)
        print(f"    {base['wall_s']:.0f} s", flush=True)
        print(f"2/3 this kit, {args.jobs} concurrent gradings ...", flush=True)
        ours = kit(tmp / "class", tmp / "kit", assignments, args.jobs, processes=False)
        print(f"    {ours['wall_s']:.0f} s", flush=True)
        dask2 = None
        if not args.no_dask:
            print("3/3 this kit on a local Dask cluster of 2 worker processes ...", flush=True)
            dask2 = kit(tmp / "class", tmp / "dask", assignments, 2, processes=True)
            print(f"    {dask2['wall_s']:.0f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    diff = compare(base["scores"], ours["scores"])
    diff_dask = compare(base["scores"], dask2["scores"]) if dask2 else []
    ratio = base["wall_s"] / ours["wall_s"]
    lines = [
        f"# Grading benchmark, {dt.date.today().isoformat()}",
        "",
        f"machine: {describe_machine()}; Python {platform.python_version()}, torch {torch.__version__}, "
        f"nbgrader {nbgrader.__version__}",
        f"command: python benchmarks/grading.py --students {args.students} --jobs {args.jobs}"
        + ("" if args.assignment is None else " " + " ".join(f"--assignment {a}" for a in assignments))
        + (" --no-dask" if args.no_dask else ""),
        f"class: {args.students} students x {len(assignments)} notebooks = {n} submissions, "
        f"a third each correct (another way), blank, partly wrong",
        "",
        "| run | wall time | per notebook | peak memory | scores equal to plain nbgrader |",
        "|---|---|---|---|---|",
        f"| plain nbgrader autograde, serial | {base['wall_s']:.0f} s | {base['wall_s'] / n:.1f} s | "
        f"{base['peak_rss_mb']:.0f} MB | (reference) |",
        f"| this kit, {ours['engine'].removeprefix('engine: ')} | {ours['wall_s']:.0f} s | {ours['wall_s'] / n:.1f} s "
        f"(each grading {sum(ours['mean_notebook_s'].values()) / len(assignments):.1f} s) | {ours['peak_rss_mb']:.0f} MB | "
        f"{'yes' if not diff else f'NO: {len(diff)} differ'} |",
    ]
    if dask2:
        lines.append(
            f"| this kit, {dask2['engine'].removeprefix('engine: ')} | {dask2['wall_s']:.0f} s | {dask2['wall_s'] / n:.1f} s | "
            f"{dask2['peak_rss_mb']:.0f} MB | {'yes' if not diff_dask else f'NO: {len(diff_dask)} differ'} |")
    lines += [
        "",
        f"**speed-up over serial nbgrader: {ratio:.2f}x** (target on two cores: 1.8x)",
        "",
        "Per notebook (fast profile): nbgrader's serial time per submission, and the kit's mean time of one "
        "grading while the others run beside it:",
        "",
        "| notebook | nbgrader serial, per submission | kit, one grading (concurrent) |",
        "|---|---|---|",
    ]
    per_student = {a: base["per_assignment_s"][a] / args.students for a in assignments}
    lines += [f"| {a} | {per_student[a]:.1f} s | {ours['mean_notebook_s'].get(a, float('nan')):.1f} s |" for a in assignments]
    if diff or diff_dask or ours["not_ok"]:
        lines += ["", "Differences / problems:", *[f"- {d}" for d in diff + diff_dask + ours["not_ok"]]]
    report = "\n".join(lines)
    print("\n" + report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().isoformat()
    (out / f"grading-{stamp}.md").write_text(report + "\n")
    data = {"date": stamp, "machine": describe_machine(), "cpu_count": os.cpu_count(), "students": args.students,
            "assignments": assignments, "submissions": n, "ratio": round(ratio, 3),
            "plain_nbgrader": {k: v for k, v in base.items() if k != "scores"},
            "kit": {k: v for k, v in ours.items() if k != "scores"},
            "kit_dask_processes": {k: v for k, v in dask2.items() if k != "scores"} if dask2 else None,
            "scores_equal": not diff, "scores_equal_dask": not diff_dask if dask2 else None}
    (out / f"grading-{stamp}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
