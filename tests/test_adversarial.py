"""An adversarial class: hostile and broken submissions graded in one batch with honest ones.

Every honest submission must get exactly its score, every hostile one must be contained (it reads,
writes, connects or leaks nothing it should not, and cannot buy points) and reported with a one-line
reason when it could not be graded normally, and the whole batch must finish in bounded time.
The class uses notebook 01 (quick to grade); the hostile code is appended to a solution cell.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import nbformat
import pytest

import adversarial_class
from adversarial_class import A, SECRET
from autograder import course
from autograder.grading import engine, sandbox
from autograder.grading.outcomes import STATUS_ERROR, STATUS_OK, STATUS_PROBLEM, format_table
from conftest import ROOT, fallback_kernel_cannot_start

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loopback_server():
    """A TCP server on the host's loopback that records whether anything connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    hits: list[str] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                hits.append("connected")
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture(scope="module")
def adversarial_batch(tmp_path_factory, loopback_server):
    port, hits = loopback_server
    subs = tmp_path_factory.mktemp("class")
    ws = course.Workspace(tmp_path_factory.mktemp("ws"))
    ws.root.mkdir(parents=True, exist_ok=True)
    adversarial_class.build(subs, ws, port)

    old = {k: os.environ.get(k) for k in ("COURSE_CELL_TIMEOUT", "COURSE_TEST_SECRET")}
    # The cell limit stops the infinite loops; it must leave room for the honest work of a correct notebook 01:
    # its all-pairs test runs 65,536 additions, 10 s alone on the 2-core AMD EPYC of 2026-12-02 and more with
    # two gradings at once. A 10 s limit (before) cut honest cells at random.
    os.environ["COURSE_CELL_TIMEOUT"] = str(adversarial_class.CELL_TIMEOUT_S)
    os.environ["COURSE_TEST_SECRET"] = SECRET
    start = time.monotonic()
    try:
        # the default engine: concurrent sandboxed gradings merged into one gradebook
        outcomes, notes = engine.grade_class_parallel(subs, ws, jobs=2, progress=False, feedback=True,
                                                         timeout=adversarial_class.NOTEBOOK_TIMEOUT_S)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.monotonic() - start
    # keep the batch's report as a test artifact (artifacts/ is git-ignored)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "adversarial_report.txt").write_text(
        "\n".join([*notes, "", format_table(outcomes), "", f"batch wall time: {seconds:.0f} s", ""])
        + "\n".join(f"{o.student:14s} {o.status:8s} {o.score:4.0f}/{o.max_score:g} {o.seconds:6.1f}s  {o.reason}"
                    for o in outcomes))
    return {o.student: o for o in outcomes}, notes, ws, seconds, hits


def _graded_text(ws, student: str) -> str:
    """Everything the graded notebook's cells printed or raised (outputs only, not the code)."""
    path = ws.autograded / student / A / f"{A}.ipynb"
    if not path.is_file():
        return ""
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if out.get("output_type") == "stream"
                         else f"{out.get('ename', '')}: {out.get('evalue', '')}")
    return "\n".join(parts)


def test_every_submission_gets_its_expected_status_and_points(adversarial_batch):
    """The whole table at once (benchmarks/grading.py --stress checks the same table round after round)."""
    outcomes = adversarial_batch[0]
    got = {s: (o.status, o.score) for s, o in outcomes.items()}
    wrong = {s: (got.get(s), e, outcomes[s].reason if s in outcomes else "") for s, e in adversarial_class.EXPECTED.items()
             if got.get(s) != e}
    assert not wrong, f"(got, expected, reason) per student: {wrong}"


def test_honest_submissions_get_exactly_their_scores(adversarial_batch):
    outcomes, *_ = adversarial_batch
    assert {s: outcomes[s].score for s in ("alice", "bob", "carol")} == {"alice": 10, "bob": 0, "carol": 5}
    assert all(outcomes[s].status == STATUS_OK for s in ("alice", "bob", "carol"))


@pytest.mark.parametrize("student, reason", [
    ("badjson", "not valid JSON"),
    ("oldversion", "notebook format version 3"),
    ("emptyfile", "empty file"),
    ("hugefile", "file too large (105 MB"),
    ("nonotebook", "missing notebook"),
])
def test_broken_files_are_reported_and_score_zero(adversarial_batch, student, reason):
    o = adversarial_batch[0][student]
    assert (o.score, o.status) == (0, STATUS_PROBLEM) and reason in o.reason and "\n" not in o.reason


def test_an_interrupted_infinite_loop_costs_only_its_own_cell(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    assert (outcomes["loop"].status, outcomes["loop"].score) == (STATUS_OK, 10)
    assert "CellTimeoutError" in _graded_text(ws, "loop") or "KeyboardInterrupt" in _graded_text(ws, "loop")


def test_a_loop_that_ignores_sigint_hits_the_notebook_time_limit(adversarial_batch):
    o = adversarial_batch[0]["loopnosigint"]
    assert (o.status, o.score) == (STATUS_ERROR, 0)
    assert "did not stop when interrupted" in o.reason or "time limit exceeded" in o.reason, o.reason
    assert o.seconds < 150


@pytest.mark.parametrize("student", ["osexit", "segfault"])
def test_a_dying_kernel_is_reported_and_scores_zero(adversarial_batch, student):
    o = adversarial_batch[0][student]
    assert (o.status, o.score) == (STATUS_ERROR, 0) and "\n" not in o.reason
    assert "kernel died" in o.reason, o.reason


def _scratches(root: Path) -> set[Path]:
    """The kernels' scratch folders: under ``root`` with bubblewrap, in the system's temporary folder without."""
    import tempfile

    return {*root.glob("kernel-*"), *Path(tempfile.gettempdir()).glob("kernel-*")}


@pytest.mark.parametrize("use_bwrap", [True, False], ids=["bubblewrap", "fallback"])
def test_a_kernel_that_dies_frees_its_uid_its_folders_and_its_children(tmp_path, use_bwrap):
    """A kernel that exits on its own is never shut down: nbclient only cleans up after it. That clean-up must
    free what a shutdown frees (its uid, its scratch and socket folders, whatever it forked), or a long-lived
    grading worker keeps a uid per dead kernel and, without bubblewrap, a student's child process outlives
    the submission and later shares its uid with another student's kernel."""
    import tempfile

    from nbclient.exceptions import DeadKernelError
    from traitlets.config import Config

    from autograder.preprocessors.sandboxed_execute import SandboxedExecute

    if not use_bwrap and (why := fallback_kernel_cannot_start()):
        pytest.skip(f"no kernel can run without bubblewrap from this checkout: {why}")
    scratch = Path(tempfile.mkdtemp(prefix="dies-"))  # outside pytest's 0700 tree, like a grader's
    scratch.chmod(0o711)
    try:
        cfg = Config()
        hidden, readonly = sandbox.paths_for(course.Workspace(tmp_path / "ws"))
        cfg.SandboxedKernelManager.hidden_paths, cfg.SandboxedKernelManager.readonly_paths = hidden, readonly
        cfg.SandboxedKernelManager.scratch_root = str(scratch)
        cfg.SandboxedKernelManager.use_bwrap = use_bwrap
        before = _scratches(scratch)
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("import os, sys\nprint(os.getuid(), sys.argv[sys.argv.index('-f') + 1])"),
            nbformat.v4.new_code_cell(adversarial_class.DIES_LEAVING_A_CHILD)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        with contextlib.suppress(DeadKernelError):
            SandboxedExecute(config=cfg, timeout=60).preprocess(nb, {"metadata": {"path": str(scratch)}})
        uid, connection_file = nb.cells[0].outputs[0]["text"].split()
        uid = int(uid)
        if sandbox.drops_privileges():
            assert sandbox.tasks_of(uid) == 0, f"processes of the dead kernel still run as uid {uid}"
        assert not Path(connection_file).parent.exists(), "the dead kernel's socket folder is still in /tmp"
        left = _scratches(scratch) - before
        assert not left, f"the dead kernel's scratch is still there: {sorted(map(str, left))}"
        if sandbox.drops_privileges():
            fd = os.open(sandbox.UID_LOCKS / str(uid), os.O_RDWR)
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the uid is still claimed
            finally:
                os.close(fd)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_resource_bombs_are_contained(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    for student in ("forkbomb", "membomb", "hugeoutput"):
        assert (outcomes[student].status, outcomes[student].score) == (STATUS_OK, 10), outcomes[student]
    assert "BLOCKED memory" in _graded_text(ws, "membomb")
    if sandbox.drops_privileges():
        assert "fork refused after" in _graded_text(ws, "forkbomb")
    graded = ws.autograded / "hugeoutput" / A / f"{A}.ipynb"
    assert graded.stat().st_size < 2_000_000, "the output limit (1000 lines) should cut 50,000 lines to a small notebook"


@pytest.mark.skipif(not sandbox.bwrap_works(), reason="bubblewrap is not available: no file-system or network isolation")
@pytest.mark.parametrize("student", ["readsecrets", "writefiles", "network", "envsecret"])
def test_the_sandbox_blocks_reads_writes_network_and_secrets(adversarial_batch, student):
    outcomes, _, ws, _, hits = adversarial_batch
    text = _graded_text(ws, student)
    assert outcomes[student].score == 10 and "BLOCKED" in text and "LEAK" not in text
    assert not hits, "a sandboxed kernel reached a server on the host's loopback"
    for evil in ("results/evil.json", "course_utils/evil.py", "notebooks/evil.txt"):
        assert not (ROOT / evil).exists()


def test_tampering_with_checks_or_ipython_buys_no_points(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    for student in ("monkeypatch", "transformer"):
        assert outcomes[student].score == 5, f"{student} scored {outcomes[student].score}, the honest answer earns 5"
        assert "[grader] restored" in _graded_text(ws, student)


def test_gradebook_is_consistent_and_batch_time_bounded(adversarial_batch):
    from nbgrader.api import Gradebook, MissingEntry

    outcomes, notes, ws, seconds, _ = adversarial_batch
    assert notes[0].startswith("sandbox:")
    with Gradebook(f"sqlite:///{ws.gradebook}") as gb:
        for student, o in outcomes.items():
            if o.status == STATUS_OK:
                sub = gb.find_submission(A, student)
                auto = sum(g.auto_score or 0 for nb in sub.notebooks for g in nb.grades if g.name in o.cells)
                assert auto == o.score
            else:
                with pytest.raises(MissingEntry):
                    gb.find_submission(A, student)
    assert seconds < 900, f"the adversarial batch took {seconds:.0f} s"


def test_feedback_of_hostile_submissions_has_no_hidden_tests(adversarial_batch):
    outcomes, _, ws, *_ = adversarial_batch
    for student, o in outcomes.items():
        page = ws.feedback / student / A / f"{A}.html"
        if page.is_file():
            assert "BEGIN HIDDEN TESTS" not in page.read_text() and "_reference_forward" not in page.read_text()


def test_each_kernel_gets_a_uid_of_its_own_while_it_lives():
    if not sandbox.drops_privileges():
        pytest.skip("kernels run as the grader's own user (not root): no uid to allocate")
    first, second = sandbox.claim_uid(), sandbox.claim_uid()
    try:
        assert first.uid != second.uid and {first.uid, second.uid} <= set(sandbox.UID_POOL)
        held = first.uid
        first.release()
        third = sandbox.claim_uid()
        assert third.uid == held, "a released uid is free again"
        third.release()
    finally:
        first.release()
        second.release()


BOMB = ("import os, time\n_n = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(300)\n"
        "            os._exit(0)\n        _n += 1\nexcept OSError:\n    print('forked', _n)")


@contextlib.asynccontextmanager
async def _fork_bomb_kernel(workspace: Path):
    """A sandboxed grading kernel (the paths a grading kernel gets) that has forked until its process limit
    refused; yields its uid, and kills it at once on the way out, as grading does."""
    import tempfile

    from autograder.preprocessors.sandboxed_execute import SandboxedKernelManager

    scratch = Path(tempfile.mkdtemp(prefix="bomb-"))  # outside pytest's 0700 tree, like a grader's
    scratch.chmod(0o711)
    # without the read-only .venv a checkout under /tmp has no python in the kernel's private /tmp (the cause
    # of "Kernel died before replying to kernel_info" in clean clones)
    hidden, readonly = sandbox.paths_for(course.Workspace(workspace))
    km = SandboxedKernelManager(kernel_name="python3", use_bwrap=sandbox.bwrap_works(), scratch_root=str(scratch),
                                hidden_paths=hidden, readonly_paths=readonly)
    await km.start_kernel()
    uid = km._uid.uid
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=120)
        reply = await kc.execute_interactive(BOMB, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        yield uid
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)  # kills the kernel, then releases its uid
        shutil.rmtree(scratch, ignore_errors=True)


def test_a_fork_bomb_next_door_does_not_starve_a_kernel(tmp_path):
    """The failure of the adversarial batch of 2026-12-02: every kernel ran as `nobody`, whose process limit
    (128, counted machine-wide) a fork bomb's children had used up, so the kernel graded beside it died at
    start-up, depending on which submissions happened to be graded together. Here a sandboxed kernel forks
    until its process limit refuses, and keeps those processes while alice's notebook is graded: she must
    earn her 10."""
    import asyncio

    if not sandbox.drops_privileges():
        pytest.skip("kernels run as the grader's own user (not root): no per-kernel process limit")

    async def neighbour_then_grade():
        async with _fork_bomb_kernel(tmp_path / "neighbour-ws"):
            subs = tmp_path / "subs"
            (subs / "alice" / A).mkdir(parents=True)
            nbformat.write(adversarial_class.sample("alice"), subs / "alice" / A / f"{A}.ipynb")
            outcomes, _ = await asyncio.to_thread(engine.grade_class, subs, course.Workspace(tmp_path / "ws"), [A],
                                                  feedback=False, progress=False)
            return outcomes[0]

    outcome = asyncio.run(neighbour_then_grade())
    assert (outcome.status, outcome.score) == (STATUS_OK, 10), outcome


def test_a_fork_bombs_uid_is_handed_on_only_once_its_processes_are_gone(tmp_path):
    """Killed processes count towards their uid's process limit until they are reaped, and ``pkill`` returns
    before that. A fork bomb's kernel killed at once (``shutdown_kernel = "immediate"``, as grading does) gave
    its uid back with its processes still there, and the next kernel on that uid died at start-up (the
    adversarial batch's 'loop', 2026-12-04). Releasing the uid must wait until none of them is left."""
    import asyncio

    if not sandbox.drops_privileges():
        pytest.skip("kernels run as the grader's own user (not root): no uid to hand on")

    async def bomb_then_kill():
        async with _fork_bomb_kernel(tmp_path / "bomb-ws") as uid:
            forked = sandbox.tasks_of(uid)
        return uid, forked, sandbox.tasks_of(uid)

    uid, forked, left = asyncio.run(bomb_then_kill())
    assert forked > 50, f"the bomb should have filled its uid's process table, it has {forked} processes"
    assert left == 0, f"uid {uid} was handed on with {left} of its processes still counted against its limit"


def test_a_kernel_slow_to_answer_an_interrupt_costs_only_its_cell(tmp_path, monkeypatch):
    """The other failure under load: after interrupting a cell past its limit, nbclient waited 4 s for the
    kernel's last output and nbgrader made the miss fatal for the whole notebook ("did not stop when
    interrupted"). A loaded machine can take longer than that; this kernel takes 6 s on purpose. The
    notebook must be graded (bob's blank answers: 0 points, but graded), not given up."""
    late = ("import signal, time\n"
            "def _late(signum, frame):\n"
            "    _t = time.monotonic()\n"
            "    while time.monotonic() - _t < 6:\n"
            "        pass\n"
            "    raise KeyboardInterrupt\n"
            "signal.signal(signal.SIGINT, _late)\n"
            "while True:\n"
            "    pass")
    monkeypatch.setenv("COURSE_CELL_TIMEOUT", "8")
    subs = tmp_path / "subs"
    (subs / "slow" / A).mkdir(parents=True)
    nbformat.write(adversarial_class.with_code("bob", "weights", late, before=True), subs / "slow" / A / f"{A}.ipynb")
    outcomes, _ = engine.grade_class(subs, course.Workspace(tmp_path / "ws"), [A], feedback=False, progress=False)
    assert outcomes[0].status == STATUS_OK, outcomes[0]
    text = "".join(str(o.get("ename", "")) for c in nbformat.read(
        tmp_path / "ws" / "autograded" / "slow" / A / f"{A}.ipynb", as_version=4).cells for o in c.get("outputs", []))
    assert "KeyboardInterrupt" in text or "CellTimeoutError" in text, "the loop's own cell shows the interrupt"
