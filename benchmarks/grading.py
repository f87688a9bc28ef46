"""Benchmark: grading a class with this kit against plain, serial ``nbgrader autograde``.

    python benchmarks/grading.py [--students 20] [--assignment ID ...] [--jobs N] [--no-dask] [--small 3]
                                 [--project 30] [--out DIR]
    python benchmarks/grading.py --stress [--rounds 10] [--rounds-4 3] [--out DIR]

It builds a class of ``--students`` students x every released notebook from the bundled samples (a mix of
correct answers written another way, untouched releases and partly wrong ones: alice, bob and carol in
``autograder/samples``, rotated so each student has a different mix), then, on this machine and in this run:

1. plain nbgrader: a stock course folder (nbgrader's own preprocessors, the course's cell time limit),
   ``nbgrader generate_assignment`` (not timed), then ``nbgrader autograde ID`` for each notebook, one after
   another as nbgrader does it (timed);
2. this kit: ``autograder.grading.engine.grade_class_parallel`` with ``--jobs`` concurrent sandboxed gradings
   (default: one per core) on the default in-process Dask cluster, no feedback (nbgrader's step 1 makes none);
3. this kit with one slot (``--jobs 1``, its serial path), whose scores the concurrent run must equal;
4. unless ``--no-dask``: the same class on a local Dask cluster of two worker *processes*, to show the
   distributed path end to end;
5. with ``--small N`` (default 3: one of each sample per notebook): the class's first N students alone, plain
   and with the kit's slots. A straight line through the two class sizes separates what does not grow with the
   class (nbgrader's start-up per ``autograde`` command; the kit's preflight, release check, cluster and worker
   servers) from what each notebook adds, and projects the ratio to a class of ``--project`` students (30).

It prints each run's wall time and CPU seconds (its whole process tree, and what other processes used
meanwhile, so that a run disturbed by something else says so), the speed-up of the kit over plain nbgrader,
the per-notebook wall and CPU time of one grading, the peak memory of each run's process tree, and whether the
scores agree (the kit with itself, and with plain nbgrader); the report and a JSON copy go to
``benchmarks/results/``. It is a benchmark, not a test: nothing here fails on a slow machine.

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

from autograder import course  # noqa: E402
from autograder.grading import engine  # noqa: E402
from grading_breakdown import _children_cpu  # noqa: E402  (this folder is on sys.path: the script's own)

KINDS = ("alice", "bob", "carol")  # correct (another way), blank, partly wrong


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy since boot (every core; ``/proc/stat``)."""
    with open("/proc/stat") as fh:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fh.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Usage:
    """Peak resident memory and CPU seconds of this process and all its descendants, sampled every 0.2 s, and
    the CPU seconds everything else on the machine used meanwhile.

    CPU is read per process while it lives (a kernel inside bubblewrap's PID namespace is reaped in there, so
    its time never reaches this process's ``RUSAGE_CHILDREN``); a process loses at most its last 0.2 s. The
    "others" figure is the machine's busy time (``/proc/stat``) less the tree's: a benchmark that shares the
    cores with something else says so in its report instead of reporting slow times as the kit's.
    """

    def __init__(self):
        import psutil

        self.psutil, self.peak, self._stop = psutil, 0, threading.Event()
        self.cpu: dict[tuple[int, float], float] = {}

    def _sample(self):
        me = self.psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                with p.oneshot():
                    total += p.memory_info().rss
                    t = p.cpu_times()
                    self.cpu[(p.pid, p.create_time())] = t.user + t.system
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                pass
        self.peak = max(self.peak, total)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.2)

    def __enter__(self):
        me = self.psutil.Process()
        # what the tree had used before: children of earlier runs are gone, this process's own time is not
        self.base = {(me.pid, me.create_time()): sum(me.cpu_times()[:2])}
        self.busy0 = machine_busy_s()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()
        self._sample()
        self.cpu_s = sum(v - self.base.get(k, 0.0) for k, v in self.cpu.items())
        self.others_cpu_s = max(0.0, machine_busy_s() - self.busy0 - self.cpu_s)


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
    per_assignment, cpu_per_assignment = {}, {}
    with Usage() as use:
        start = time.perf_counter()
        for a in assignments:
            t, cpu = time.perf_counter(), _children_cpu()
            proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", a, "--force"], cwd=work,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
            per_assignment[a] = time.perf_counter() - t
            cpu_per_assignment[a] = _children_cpu() - cpu  # exact: nbgrader waits for its kernels
        wall = time.perf_counter() - start
    scores = {}
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
        for a in assignments:
            for sub in gb.find_assignment(a).submissions:
                scores[(sub.student_id, a)] = float(sub.code_score)
    return {"wall_s": wall, "cpu_s": use.cpu_s, "cpu_exact_s": sum(cpu_per_assignment.values()),
            "others_cpu_s": use.others_cpu_s, "per_assignment_s": per_assignment,
            "per_assignment_cpu_s": cpu_per_assignment, "peak_rss_mb": use.peak / 2**20, "scores": scores}


def kit(submissions: Path, work: Path, assignments: list[str], jobs: int, processes: bool) -> dict:
    ws = course.Workspace(work)
    with Usage() as use:
        start = time.perf_counter()
        outcomes, notes = engine.grade_class_parallel(submissions, ws, assignments, feedback=False, jobs=jobs,
                                                        processes=processes, progress=True)
        wall = time.perf_counter() - start

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else float("nan")

    mine = {a: [o for o in outcomes if o.assignment == a] for a in assignments}
    return {"wall_s": wall, "cpu_s": use.cpu_s, "others_cpu_s": use.others_cpu_s, "peak_rss_mb": use.peak / 2**20,
            "engine": next((n for n in notes if n.startswith("engine")), ""),
            "mean_notebook_s": {a: mean([o.seconds for o in v]) for a, v in mine.items() if v},
            # CPU of one grading: its sandboxed kernel and its worker (nbgrader), from the worker's timings
            "mean_notebook_cpu_s": {a: mean([o.timings.get("kernel_cpu_s", 0.0) + o.timings.get("worker_cpu_s", 0.0)
                                             for o in v]) for a, v in mine.items() if v},
            "mean_kernel_cpu_s": {a: mean([o.timings.get("kernel_cpu_s", 0.0) for o in v]) for a, v in mine.items() if v},
            "scores": {(o.student, o.assignment): o.score for o in outcomes},
            "not_ok": [f"{o.student}/{o.assignment}: {o.status} {o.reason}" for o in outcomes if o.status != "graded"]}


def split_costs(n_small: int, small_s: float, n_large: int, large_s: float) -> tuple[float, float]:
    """(fixed seconds, seconds per submission) of a run, from its wall time at two class sizes (a straight line:
    what does not grow with the class, and what each submission adds).

    >>> split_costs(16, 100.0, 96, 500.0)
    (20.0, 5.0)
    """
    per = (large_s - small_s) / (n_large - n_small)
    return small_s - per * n_small, per


def compare(reference: dict, other: dict, names: tuple[str, str] = ("nbgrader", "kit")) -> list[str]:
    keys = sorted(set(reference) | set(other))
    return [f"{s}/{a}: {names[0]} {reference.get((s, a))} vs {names[1]} {other.get((s, a))}"
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
            outcomes, _ = engine.grade_class_parallel(tmp / "class", ws, jobs=jobs, progress=False, feedback=True,
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
    ap.add_argument("--small", type=int, default=3, help="also grade the first SMALL students (plain nbgrader and the "
                    "kit): the two class sizes separate fixed costs from per-notebook costs (0: skip)")
    ap.add_argument("--no-one-slot", action="store_true", help="skip the kit's one-slot run (step 3)")
    ap.add_argument("--project", type=int, default=30, help="the class size the ratio is projected to")
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
    steps = 3 + (not args.no_dask)
    try:
        who = build_class(tmp / "class", args.students, assignments)
        n = len(who)
        print(f"class: {args.students} students x {len(assignments)} notebooks = {n} submissions "
              f"({', '.join(f'{k}: {sum(v == k for v in who.values())}' for k in KINDS)})", flush=True)
        print(f"1/{steps} plain nbgrader autograde, serial ...", flush=True)
        base = plain_nbgrader(tmp / "class", tmp / "plain", assignments)
        print(f"    {base['wall_s']:.0f} s", flush=True)
        print(f"2/{steps} this kit, {args.jobs} concurrent gradings ...", flush=True)
        ours = kit(tmp / "class", tmp / "kit", assignments, args.jobs, processes=False)
        print(f"    {ours['wall_s']:.0f} s", flush=True)
        serial = None
        if not args.no_one_slot:
            print(f"3/{steps} this kit, one slot (its serial path, --jobs 1) ...", flush=True)
            serial = kit(tmp / "class", tmp / "kit-serial", assignments, 1, processes=False)
            print(f"    {serial['wall_s']:.0f} s", flush=True)
        small = None
        if 0 < args.small < args.students:
            keep = {f"s{i + 1:02d}" for i in range(args.small)}
            (tmp / "small").mkdir()
            for folder in (tmp / "class").iterdir():
                if folder.name in keep:
                    shutil.copytree(folder, tmp / "small" / folder.name)
            print(f"+ the first {args.small} students alone, plain nbgrader and the kit ({args.jobs} slots) ...", flush=True)
            small = {"plain": plain_nbgrader(tmp / "small", tmp / "plain-small", assignments),
                     "kit": kit(tmp / "small", tmp / "kit-small", assignments, args.jobs, processes=False)}
            print(f"    {small['plain']['wall_s']:.0f} s and {small['kit']['wall_s']:.0f} s", flush=True)
        dask2 = None
        if not args.no_dask:
            print(f"4/{steps} this kit on a local Dask cluster of 2 worker processes ...", flush=True)
            dask2 = kit(tmp / "class", tmp / "dask", assignments, 2, processes=True)
            print(f"    {dask2['wall_s']:.0f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # the kit's scores must equal its own serial path's; against plain nbgrader they may differ on purpose
    # without the one-slot run, the concurrent run is the kit's reference
    kit_ref, ref_name = (serial, "one slot") if serial else (ours, f"{args.jobs} slots")
    same = compare(serial["scores"], ours["scores"], ("one slot", f"{args.jobs} slots")) if serial else []
    same_dask = compare(kit_ref["scores"], dask2["scores"], (ref_name, "Dask processes")) if dask2 else []
    diff = compare(base["scores"], ours["scores"])
    ratio = base["wall_s"] / ours["wall_s"]

    def row(name: str, r: dict, vs_serial: str, vs_plain: str) -> str:
        return (f"| {name} | {r['wall_s']:.0f} s | {r['wall_s'] / n:.1f} s | {r['cpu_s']:.0f} s | "
                f"{r['others_cpu_s']:.0f} s | {r['peak_rss_mb']:.0f} MB | {vs_serial} | {vs_plain} |")

    def equal(d: list[str]) -> str:
        return "yes" if not d else f"NO: {len(d)} differ"

    lines = [
        f"# Grading benchmark, {dt.date.today().isoformat()}",
        "",
        f"machine: {describe_machine()}; Python {platform.python_version()}, torch {torch.__version__}, "
        f"nbgrader {nbgrader.__version__}",
        f"command: python benchmarks/grading.py --students {args.students} --jobs {args.jobs}"
        + ("" if args.assignment is None else " " + " ".join(f"--assignment {a}" for a in assignments))
        + (" --no-dask" if args.no_dask else "") + (" --no-one-slot" if args.no_one_slot else "") + (f" --small {args.small}" if args.small != 3 else ""),
        f"class: {args.students} students x {len(assignments)} notebooks = {n} submissions, "
        f"a third each correct (another way), blank, partly wrong; the runs one after another, in this order",
        "",
        "| run | wall time | per notebook | CPU (its processes) | CPU of other processes meanwhile | peak memory "
        "| scores equal to the kit's serial path | scores equal to plain nbgrader |",
        "|---|---|---|---|---|---|---|---|",
        row("plain nbgrader autograde, serial", base, equal(compare(kit_ref["scores"], base["scores"])), "(reference)"),
        row(f"this kit, {ours['engine'].removeprefix('engine: ')}", ours, equal(same) if serial else "(reference)", equal(diff)),
    ]
    if serial:
        lines.append(row("this kit, one slot (`--jobs 1`)", serial, "(reference)", equal(compare(base["scores"], serial["scores"]))))
    if dask2:
        lines.append(row(f"this kit, {dask2['engine'].removeprefix('engine: ')}", dask2, equal(same_dask),
                         equal(compare(base["scores"], dask2["scores"]))))
    lines += [
        "",
        f"**speed-up over serial nbgrader: {ratio:.2f}x** (target on two cores: 1.8x)"
        + (f"; the kit with {args.jobs} slots against its own one slot: {serial['wall_s'] / ours['wall_s']:.2f}x." if serial
           else "; the one-slot run was skipped (`--no-one-slot`)."),
        "",
        f"CPU: sampled every 0.2 s from `/proc` for each run's whole process tree (sandboxed kernels included); for "
        f"plain nbgrader the exact figure from its waited-for children is {base['cpu_exact_s']:.0f} s. \"other "
        f"processes\" is the machine's busy time (`/proc/stat`) less the run's own: near zero when nothing else ran.",
        "",
        "Per notebook (fast profile, which nbgrader's execution implies), means per submission: plain nbgrader's "
        "wall and CPU time (its `autograde` command of the notebook divided by the class size), and one grading of "
        f"the kit, wall and CPU (its kernel and its worker), while {args.jobs} run side by side and with one slot:",
        "",
        f"| notebook | nbgrader wall | nbgrader CPU | kit wall ({args.jobs} slots) | kit CPU ({args.jobs} slots) "
        "| kit wall (one slot) | kit CPU (one slot) |",
        "|---|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for a in assignments:
        lines.append(
            f"| {a} | {base['per_assignment_s'][a] / args.students:.1f} s | "
            f"{base['per_assignment_cpu_s'][a] / args.students:.1f} s | {ours['mean_notebook_s'].get(a, nan):.1f} s | "
            f"{ours['mean_notebook_cpu_s'].get(a, nan):.1f} s | {(serial or {}).get('mean_notebook_s', {}).get(a, nan):.1f} s | "
            f"{(serial or {}).get('mean_notebook_cpu_s', {}).get(a, nan):.1f} s |")
    costs = None
    if small is not None:
        m = args.small * len(assignments)
        plain_fixed, plain_per = split_costs(m, small["plain"]["wall_s"], n, base["wall_s"])
        kit_fixed, kit_per = split_costs(m, small["kit"]["wall_s"], n, ours["wall_s"])
        big = args.project * len(assignments)
        projected = (plain_fixed + big * plain_per) / (kit_fixed + big * kit_per)
        costs = {"small_students": args.small, "plain_small_wall_s": small["plain"]["wall_s"],
                 "kit_small_wall_s": small["kit"]["wall_s"], "plain_fixed_s": plain_fixed, "plain_per_notebook_s": plain_per,
                 "kit_fixed_s": kit_fixed, "kit_per_notebook_s": kit_per, "projected_students": args.project,
                 "projected_ratio": projected,
                 "plain_per_assignment_small_s": small["plain"]["per_assignment_s"]}
        lines += [
            "", "Fixed costs and per-notebook costs, apart (the same class's first "
            f"{args.small} students graded alone, right after: {small['plain']['wall_s']:.0f} s plain, "
            f"{small['kit']['wall_s']:.0f} s the kit with {args.jobs} slots; a straight line through the two sizes):", "",
            "| run | fixed (does not grow with the class) | what is fixed | per notebook graded |", "|---|---|---|---|",
            f"| plain nbgrader | {plain_fixed:.0f} s | {plain_fixed / len(assignments):.1f} s per assignment "
            f"(one `nbgrader autograde` command each) | {plain_per:.2f} s |",
            f"| this kit, {args.jobs} slots | {kit_fixed:.0f} s | one per run (preflight, release check, cluster and "
            f"worker servers) | {kit_per:.2f} s |", "",
            f"Projected for a class of {args.project} ({big} notebooks): plain {plain_fixed + big * plain_per:.0f} s, "
            f"the kit {kit_fixed + big * kit_per:.0f} s: **{projected:.2f}x**; measured here with {args.students} "
            f"students: {ratio:.2f}x; the per-notebook costs alone: {plain_per / kit_per:.2f}x."]
    problems = same + same_dask + ours["not_ok"] + (serial["not_ok"] if serial else [])
    if problems:
        lines += ["", "The kit against itself (must be none):", *[f"- {d}" for d in problems]]
    if diff:
        lines += ["", "Plain nbgrader against the kit (see the README: nbgrader counts a warning on stderr as a "
                  "failed test, the kit does not):", *[f"- {d}" for d in diff]]
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
            "kit_one_slot": {k: v for k, v in serial.items() if k != "scores"} if serial else None,
            "kit_dask_processes": {k: v for k, v in dask2.items() if k != "scores"} if dask2 else None,
            "scores_equal_kit_serial": not same if serial else None, "scores_equal_plain_nbgrader": not diff,
            "scores_equal_dask": not same_dask if dask2 else None, "score_differences_plain_nbgrader": diff,
            "fixed_and_per_notebook_costs": costs}
    (out / f"grading-{stamp}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
