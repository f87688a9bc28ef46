"""Grades to the LMS by LTI 1.3 (``export --format lti``, ``lti-roster``) against a real LTI platform implementation
(``lti1p3platform``, tests/lti_platform.py) on a loopback port, which enforces what the specification requires of an
LMS: audience, issuer, expiry, one-time assertions, scopes, score timestamps."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES

pytest.importorskip("pylti1p3")
pytest.importorskip("lti1p3platform")

from autograder import course  # noqa: E402
from autograder.deploy import lti  # noqa: E402
from autograder.grading import engine, gradebook  # noqa: E402
from lti_platform import Platform, rsa_pair  # noqa: E402

A = "01_binary_rnn"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """01 graded by the kit for alice (the solution) and bob; carol in the gradebook with nothing submitted."""
    root = tmp_path_factory.mktemp("lti")
    subs = root / "subs"
    for student in ("alice", "bob"):
        shutil.copytree(SAMPLES / student / A, subs / student / A)
    ws = course.Workspace(root / "ws")
    engine.grade_class_parallel(subs, ws, [A], jobs=2, progress=False)
    return ws


@pytest.fixture()
def world(graded, tmp_path):
    """A fresh copy of the graded workspace, the tool's key, a platform that knows the class, and lti.json."""
    ws = course.Workspace(tmp_path / "ws")
    shutil.copytree(graded.root, ws.root)
    private, public = rsa_pair()
    key = tmp_path / "tool.pem"
    key.write_text(private)
    key.chmod(0o600)
    platform = Platform(_free_port(), public).start()
    users = {"alice": "Sub-Alice-7", "bob": "sub-alice-7", "carol": "c-3"}  # sub is opaque and case-sensitive
    platform.store.members = [{"user_id": sub, "roles": [lti.LEARNER], "name": name.title(), "given_name": name.title(),
                               "family_name": "Student", "email": f"{name}@example.org"} for name, sub in users.items()]
    platform.store.members.append({"user_id": "prof-1", "roles": [lti.INSTRUCTOR], "name": "Prof"})
    with gradebook.open_gradebook(ws.gradebook) as gb:
        for name, sub in users.items():
            gb.update_or_create_student(name, lms_user_id=sub)
    config = {"issuer": platform.issuer, "client_id": platform.client_id, "auth_token_url": platform.token_url,
              "lineitems_url": platform.lineitems_url, "memberships_url": platform.memberships_url,
              "private_key_file": str(key), "kid": "tool-1", "timeout_s": 5}
    (ws.root / "lti.json").write_text(json.dumps(config))
    yield ws, platform, users, private
    platform.stop()


def _export(ws: course.Workspace, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "export", "--format", "lti", "--workspace",
                           str(ws.root), *extra], capture_output=True, text=True, cwd=ROOT, timeout=300)


def _set_config(ws: course.Workspace, **changes) -> None:
    path = ws.root / "lti.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_scores_are_posted_to_the_line_item_tagged_with_the_assignment_and_read_back(world):
    ws, platform, users, key = world
    proc = _export(ws)
    assert proc.returncode == 0, proc.stderr
    items = list(platform.store.lineitems.values())
    assert [(i["tag"], i["label"], i["scoreMaximum"]) for i in items] == [(A, A, 13)]
    alice, bob, carol = (platform.result(A, users[s]) for s in ("alice", "bob", "carol"))
    assert (alice["scoreGiven"], alice["scoreMaximum"]) == (10, 13)  # autograded; the answer is not graded yet
    assert (alice["activityProgress"], alice["gradingProgress"]) == ("Completed", "PendingManual")
    assert bob["scoreGiven"] < 10 and bob["userId"] == "sub-alice-7"  # the other case of the same letters
    assert (carol["scoreGiven"], carol["activityProgress"], carol["gradingProgress"]) == (0, "Initialized",
                                                                                         "FullyGraded")
    assert key.splitlines()[1] not in proc.stdout + proc.stderr


def test_a_rerun_updates_the_scores_and_never_duplicates_a_line_item(world):
    ws, platform, users, _ = world
    assert _export(ws).returncode == 0
    first = platform.result(A, users["alice"])["timestamp"]
    with gradebook.open_gradebook(ws.gradebook) as gb:  # the instructor grades the written answer: 3 of 3
        grade = gb.find_grade("answer_hidden_units", A, A, "alice")
        grade.manual_score = 3
        gb.db.commit()
    time.sleep(0.01)
    proc = _export(ws)
    assert proc.returncode == 0, proc.stderr
    assert len(platform.store.lineitems) == 1
    alice = platform.result(A, users["alice"])
    assert (alice["scoreGiven"], alice["gradingProgress"]) == (13, "FullyGraded") and alice["timestamp"] > first


def test_each_refusal_is_one_line_per_student_and_a_failing_exit(world):
    ws, platform, users, _ = world
    _set_config(ws, auth_audience="https://another-lms.example/token")  # the platform enforces aud
    proc = _export(ws)
    assert proc.returncode == 1 and platform.store.results == {}
    failed = [line for line in proc.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed) == 3 and all("401" in line and "audience" in line.lower() for line in failed), proc.stderr

    _set_config(ws, auth_audience="")
    other, _ = rsa_pair()
    key = Path(json.loads((ws.root / "lti.json").read_text())["private_key_file"])
    good = key.read_text()
    key.write_text(other)  # a key the platform did not register
    proc = _export(ws)
    assert proc.returncode == 1 and "401" in proc.stderr and platform.store.results == {}
    key.write_text(good)

    platform.store.fail_next = [(503, "maintenance")]  # the token request
    proc = _export(ws)
    assert proc.returncode == 1 and "503" in proc.stderr


def test_a_score_older_than_the_platforms_last_is_refused_and_reported(world):
    ws, platform, users, _ = world
    assert _export(ws).returncode == 0
    key = next(k for k in platform.store.results if k[1] == users["bob"])
    platform.store.results[key]["timestamp"] = "2999-01-01T00:00:00+00:00"  # graded later in the LMS itself
    proc = _export(ws)
    assert proc.returncode == 1
    assert [line for line in proc.stderr.splitlines() if line.startswith("failed:")] == [
        line for line in proc.stderr.splitlines() if line.startswith("failed: bob") and "409" in line], proc.stderr


def test_a_platform_that_does_not_answer_times_out_with_a_reason(world):
    ws, platform, _, _ = world
    _set_config(ws, timeout_s=0.5)
    platform.store.delay_s = 2
    proc = _export(ws)
    assert proc.returncode == 1 and "did not answer in time" in proc.stderr, proc.stderr


def test_a_student_without_an_lti_id_is_listed_not_skipped(world):
    ws, platform, users, _ = world
    with gradebook.open_gradebook(ws.gradebook) as gb:
        gb.update_or_create_student("dave")
    proc = _export(ws)
    assert proc.returncode == 1
    assert "failed: dave: no LTI user id" in proc.stderr
    assert platform.result(A, users["alice"]) is not None  # the others are posted


def test_a_private_key_readable_by_others_is_refused(world):
    ws, platform, _, _ = world
    key = Path(json.loads((ws.root / "lti.json").read_text())["private_key_file"])
    key.chmod(0o644)
    proc = _export(ws)
    assert proc.returncode == 2 and "chmod 600" in proc.stderr and platform.store.token_requests == 0


def test_the_roster_fills_lti_ids_under_stable_hub_names(world):
    ws, platform, users, _ = world
    proc = subprocess.run([sys.executable, "-m", "autograder", "lti-roster", "--workspace", str(ws.root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with gradebook.open_gradebook(ws.gradebook) as gb:
        added = {s.id: s.lms_user_id for s in gb.students if s.id.startswith("lti-")}
    assert sorted(added.values()) == sorted(users.values())  # learners only, not the instructor
    assert added[lti.hub_username(platform.issuer, "Sub-Alice-7")] == "Sub-Alice-7"
    assert lti.hub_username(platform.issuer, "Sub-Alice-7") != lti.hub_username(platform.issuer, "sub-alice-7")


def test_a_class_of_300_is_posted_within_a_minute_on_one_access_token(world):
    ws, platform, _, _ = world
    with gradebook.open_gradebook(ws.gradebook) as gb:
        for i in range(297):
            gb.update_or_create_student(f"s{i:03d}", lms_user_id=f"u{i:03d}")
    platform.store.members += [{"user_id": f"u{i:03d}", "roles": [lti.LEARNER]} for i in range(297)]
    report = lti.passback(ws, lti.LtiPlatform.load(ws.root / "lti.json"))
    assert report.ok and len(report.posted) == 300, report.failed[:3]
    assert report.tokens == 1 and platform.store.token_requests == 1
    print(f"300 scores in {report.seconds} s")
    assert report.seconds < 60


def test_the_public_key_set_for_the_lms_is_printed_and_never_the_private_key(world):
    ws, platform, _, private = world
    proc = subprocess.run([sys.executable, "-m", "autograder", "lti-jwks", "--workspace", str(ws.root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    (key,) = json.loads(proc.stdout)["keys"]
    assert key["kid"] == "tool-1" and key["alg"] == "RS256" and "d" not in key and "p" not in key
    assert key == {**platform.registration.get_tool_key_set()["keys"][0]}
    assert private.splitlines()[1] not in proc.stdout
