"""A course on a real JupyterHub, end to end (issue 49): JupyterHub 6 with configurable-http-proxy on loopback, PAM
logins of real system users, LocalProcessSpawner, JupyterLab, nbgrader's file-system exchange, the formgrader, and
the kit grading the collected class; Chromium opens the student's Assignments panel and the instructor's formgrader.

Everything is made and removed by the module's fixture, as root (CI's machines are root): unique system users (an
instructor, four students, one user outside the course), ``python -m autograder hub-setup``, the hub, the servers.
The flow runs once; each test below checks one thing it showed. Screenshots land in ``test-artifacts/hub/``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ROOT

pytestmark = pytest.mark.slow
A = "01_binary_rnn"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "hub"


def _proxy() -> str | None:
    here = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return shutil.which("configurable-http-proxy") or (str(here) if here.exists() else None)


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "the hub test makes system users and runs JupyterHub as root (CI's machines are root)"
    for tool in ("useradd", "userdel", "groupdel", "setpriv", "chpasswd"):
        if not shutil.which(tool):
            return f"{tool} not found"
    try:
        import jupyterhub  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[dev,hub]')"
    if not _proxy():
        return "configurable-http-proxy not found (make install puts it in .venv/node)"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM}"
    return None


if _skip_reason():
    pytest.skip(_skip_reason(), allow_module_level=True)

import requests  # noqa: E402

from autograder.deploy.hub import HubCourse, as_user, role_environment  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _open_interpreter() -> list[tuple[Path, int]]:
    """Let every user run this environment's interpreter, as the servers must: pyenv keeps the base installation
    (and the libpython it links to) under /root, which is 0700. Adds search permission (o+x, no listing) to each
    folder above it that lacks it; the fixture restores the modes. A hub built by ``hub-setup`` without
    ``--python`` builds its own environment from /usr/bin/python3 instead (minutes and gigabytes: not in CI)."""
    changed = []
    for folder in {f for top in (sys.base_prefix, sys.prefix) for f in (Path(top), *Path(top).parents)}:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            folder.chmod(mode | 0o001)
            changed.append((folder, mode & 0o7777))
    return changed


def _copy_kit(kit: Path, where: Path) -> None:
    """The instructor's copy of this kit: the files git tracks and those it does not ignore, as they are here."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout
    kit.mkdir()
    subprocess.run(["tar", "--null", "-T", "-", "-cf", str(where / "kit.tar")], cwd=ROOT, input=files, check=True)
    subprocess.run(["tar", "-xf", str(where / "kit.tar"), "-C", str(kit)], check=True)


def _start_hub(prefix: Path, where: Path, url: str) -> subprocess.Popen:
    """Start the hub hub-setup configured (as root, its API and proxy on free ports) and wait until it answers."""
    course = json.loads((prefix / "course.json").read_text())
    (prefix / "course.json").write_text(json.dumps({**course, "hub_port": _free_port(),
                                                    "proxy_api_port": _free_port()}))
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(prefix / "jupyterhub_config.py")],
                            cwd=prefix / "state", stdout=open(where / "hub.log", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    for _ in range(120):
        try:
            if requests.get(f"{url}/hub/api", timeout=2).status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        assert proc.poll() is None, (where / "hub.log").read_text()[-3000:]
        time.sleep(0.5)
    raise AssertionError(f"the hub did not answer within 60 s: {(where / 'hub.log').read_text()[-3000:]}")


class Hub:
    """The hub under test: its course, its base URL, and each user's API token."""

    def __init__(self, course: HubCourse, url: str, passwords: dict[str, str]):
        self.course, self.url, self.passwords, self.tokens = course, url, passwords, {}

    def login(self, user: str) -> dict[str, str]:
        """Log in through the hub's PAM login form and make an API token, as a user can on their token page."""
        s = requests.Session()
        s.get(f"{self.url}/hub/login")
        r = s.post(f"{self.url}/hub/login", data={"username": user, "password": self.passwords[user],
                                                  "_xsrf": s.cookies.get("_xsrf")}, allow_redirects=False)
        assert r.status_code == 302, f"PAM login of {user}: {r.status_code}"
        r = s.post(f"{self.url}/hub/api/users/{user}/tokens", json={"note": "hub test", "expires_in": 3600},
                   headers={"X-XSRFToken": s.cookies.get("_xsrf"), "Referer": f"{self.url}/hub/token"})
        assert r.status_code == 201, r.text
        self.tokens[user] = {"Authorization": f"token {r.json()['token']}"}
        return self.tokens[user]

    def get(self, user: str, path: str, as_: str | None = None, allow_redirects: bool = False) -> requests.Response:
        return requests.get(f"{self.url}/user/{user}/{path}", headers=self.tokens[as_ or user],
                            allow_redirects=allow_redirects, timeout=120)

    def call(self, method: str, user: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.url}/user/{user}/{path}", headers=self.tokens[user], timeout=300, **kw)

    def run_as(self, user: str, cmd: list[str], role_of: str | None = None) -> subprocess.CompletedProcess:
        """``cmd`` as system user ``user`` in the environment the hub gives a server (``role_of``'s, default its own)."""
        env = role_environment(self.course, role_of or user)
        home = pwd.getpwnam(user).pw_dir
        env.update(HOME=home, USER=user, LANG="C.UTF-8")
        return subprocess.run([*as_user(user), "env", *[f"{k}={v}" for k, v in env.items()], *cmd], cwd=home,
                              capture_output=True, text=True, timeout=600)


def _execute(hub: Hub, user: str, cells: list[str]) -> list[str]:
    """Run ``cells`` one after another in a new kernel of ``user``'s server (the Jupyter protocol over its
    websocket, as JupyterLab does); the errors they raised."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel = hub.call("POST", user, "api/kernels", json={"name": "python3"}).json()["id"]

    async def run() -> list[str]:
        url = hub.url.replace("http", "ws") + f"/user/{user}/api/kernels/{kernel}/channels"
        ws = await websocket_connect(HTTPRequest(url, headers=hub.tokens[user]))
        errors, session = [], uuid.uuid4().hex
        for code in cells:
            msg_id = uuid.uuid4().hex
            await ws.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session, "username": user,
                           "version": "5.3", "date": dt.datetime.now(dt.timezone.utc).isoformat()},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.read_message(), 300))
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "error":
                    errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
                if msg["msg_type"] == "execute_reply":
                    break
        ws.close()
        return errors

    try:
        return asyncio.run(run())
    finally:
        hub.call("DELETE", user, f"api/kernels/{kernel}")


def _solution() -> dict:
    return json.loads((ROOT / "solutions" / A / f"{A}.ipynb").read_text())


def _hidden_lines() -> list[str]:
    source = nbformat.read(ROOT / "solutions" / A / f"{A}.ipynb", as_version=4)
    return [line.strip() for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source
            for line in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
            if len(line.strip()) > 20]


def _screens(hub: Hub, instructor: str, student: str) -> dict:
    """Chromium: the student's Assignments panel (JupyterLab's Nbgrader menu) and the instructor's formgrader."""
    from playwright.sync_api import expect, sync_playwright

    seen = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        for user in (student, instructor):
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", user)
            page.fill("#password_input", hub.passwords[user])
            page.click("#login_submit")
            if user == student:
                page.wait_for_url(f"**/user/{user}/lab**", timeout=90_000)
                page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click(timeout=60_000)
                page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
                panel = page.locator(".nbgrader-AssignmentList, #assignments").first
                expect(page.get_by_text(A).first).to_be_visible(timeout=60_000)
                seen["student"] = page.locator("body").inner_text()
                page.screenshot(path=str(ARTIFACTS / "student-assignments.png"))
                seen["student_panel"] = panel.count()
            else:
                page.goto(f"{hub.url}/user/{user}/formgrader")
                expect(page.get_by_text(A).first).to_be_visible(timeout=60_000)
                seen["instructor"] = page.locator("body").inner_text()
                page.screenshot(path=str(ARTIFACTS / "instructor-formgrader.png"))
                page.goto(f"{hub.url}/user/{user}/formgrader/manage_submissions/{A}")
                expect(page.get_by_text(student).first).to_be_visible(timeout=60_000)
                seen["instructor_submissions"] = page.locator("body").inner_text()
                page.screenshot(path=str(ARTIFACTS / "instructor-submissions.png"))
        browser.close()
    return seen


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """Set a course up on a fresh hub, run the class through it, tear it all down; what each step showed."""
    started = time.monotonic()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    tag = "ck" + secrets.token_hex(2)
    course_id = f"{tag}-dl"
    instructor, alice, bob, carol, dave, outsider = (f"{tag}{r}" for r in ("prof", "alice", "bob", "carol", "dave",
                                                                            "out"))
    students = [alice, bob, carol, dave]
    users = [instructor, *students, outsider]
    passwords = {u: secrets.token_urlsafe(12) for u in users}
    where = Path(f"/opt/{tag}-hub-test")
    where.mkdir(mode=0o755)
    prefix, exchange_parent = where / "hub", Path(f"/srv/nbgrader/{course_id}")
    login_defs = Path("/etc/login.defs").read_bytes() if Path("/etc/login.defs").exists() else None
    seen: dict = {"users": users, "instructor": instructor, "students": students, "outsider": outsider}
    hub_proc, opened = None, []
    try:
        for user in users:  # as an administrator does it on Debian: homes 0755 until hub-setup
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--key", "HOME_MODE=0755", user],
                           check=True)
        subprocess.run(["chpasswd"], input="".join(f"{u}:{p}\n" for u, p in passwords.items()), text=True,
                       check=True)
        kit = Path(pwd.getpwnam(instructor).pw_dir) / "course"
        _copy_kit(kit, where)
        opened = _open_interpreter()
        python = Path(sys.prefix) / "bin" / "python"
        port = _free_port()
        setup = subprocess.run([sys.executable, "-m", "autograder", "hub-setup", "--course", course_id,
                                "--instructor", instructor, "--students", ",".join(students), "--kit", str(kit),
                                "--prefix", str(prefix), "--exchange-parent", str(exchange_parent),
                                "--python", str(python), "--ip", "127.0.0.1", "--port", str(port),
                                "--late-penalty-per-day", "0.1"]
                               + (["--data", os.environ["COURSE_DATA_DIR"]] if os.environ.get("COURSE_DATA_DIR")
                                  else []), capture_output=True, text=True, timeout=300)
        assert setup.returncode == 0, setup.stderr + setup.stdout
        seen["setup"] = setup.stdout
        hub_proc = _start_hub(prefix, where, f"http://127.0.0.1:{port}")
        hub = Hub(HubCourse.load(prefix), f"http://127.0.0.1:{port}", passwords)
        course = hub.course
        t0 = time.monotonic()
        for user in [instructor, alice, bob, carol]:
            requests.post(f"{hub.url}/hub/api/users/{user}/server", headers=hub.login(user), timeout=120)
        for user in [instructor, alice, bob, carol]:
            for _ in range(240):
                if hub.get(user, "api/status").status_code == 200:
                    break
                time.sleep(0.5)
        seen["servers_started_s"] = round(time.monotonic() - t0, 1)
        seen["server_uids"] = {
            u: sorted({int(open(f"/proc/{pid}/status").read().split("Uid:")[1].split()[0])
                       for pid in subprocess.run(["pgrep", "-f", "jupyterhub.singleuser", "-u", u],
                                                 capture_output=True, text=True).stdout.split()})
            for u in [instructor, alice, bob, carol]}
        seen["formgrader"] = {"instructor": hub.get(instructor, "formgrader", allow_redirects=True).status_code,
                              "student_on_instructors": hub.get(instructor, "formgrader", as_=alice).status_code,
                              "student_own": hub.get(alice, "formgrader").status_code}

        # second uids: what a student's code can read
        solution = kit / "solutions" / A / f"{A}.ipynb"
        seen["reads"] = {
            "source": hub.run_as(alice, ["cat", str(solution)]).returncode,
            "kit": hub.run_as(alice, ["ls", str(kit)]).returncode,
            "other_home": hub.run_as(alice, ["ls", pwd.getpwnam(bob).pw_dir]).returncode,
            "instructor_home": hub.run_as(alice, ["ls", pwd.getpwnam(instructor).pw_dir]).returncode,
            "outsider_exchange": hub.run_as(outsider, ["ls", str(exchange_parent)], role_of=alice).returncode,
        }

        # the instructor releases; students fetch, work and submit through nbgrader's lab-extension endpoints
        seen["release"] = hub.run_as(instructor, ["nbgrader", "release_assignment", A])
        seen["listed"] = hub.get(alice, f"assignments?course_id={course_id}").json()
        for user in (alice, bob, carol):
            seen[f"fetch_{user}"] = hub.call("POST", user, "assignments/fetch",
                                             json={"course_id": course_id, "assignment_id": A}).json()
        inbound = course.exchange / course_id / "inbound"
        seen["reads"]["inbound"] = hub.run_as(alice, ["ls", str(inbound)]).returncode
        release = hub.get(bob, f"api/contents/{A}/{A}.ipynb").json()["content"]
        first = []
        for cell in release["cells"]:
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            if cell["cell_type"] != "code":
                continue
            if "raise NotImplementedError" in source:
                break
            else:
                first.append(source)
        seen["first_cells"] = len(first)
        seen["first_cells_errors"] = _execute(hub, bob, ["import os; os.environ['COURSE_PROFILE'] = 'fast'", *first])
        for user in (alice, carol):
            put = hub.call("PUT", user, f"api/contents/{A}/{A}.ipynb",
                           json={"type": "notebook", "format": "json", "content": _solution()})
            assert put.status_code == 200, put.text
        for user in (alice, bob):
            seen[f"submit_{user}"] = hub.call("POST", user, "assignments/submit",
                                              json={"course_id": course_id, "assignment_id": A}).json()
        due = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).replace(microsecond=0)  # after theirs
        seen["duedate"] = hub.run_as(instructor, ["nbgrader", "db", "assignment", "add", A,
                                                  f"--duedate={due.strftime('%Y-%m-%d %H:%M:%S')} UTC"])
        time.sleep(max(0.0, (due - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1.0)  # carol: 1 s late
        seen["submit_late"] = hub.call("POST", carol, "assignments/submit",
                                       json={"course_id": course_id, "assignment_id": A}).json()
        # dave has no server running: the command line, through the same exchange; his notebook is broken
        seen["fetch_dave"] = hub.run_as(dave, ["nbgrader", "fetch_assignment", A])
        (Path(pwd.getpwnam(dave).pw_dir) / A / f"{A}.ipynb").write_text('{"cells": [ this is not json')
        seen["submit_dave"] = hub.run_as(dave, ["nbgrader", "submit", A])
        # a user outside the course, with the students' configuration
        Path(pwd.getpwnam(outsider).pw_dir, A).mkdir()
        shutil.copy(solution, Path(pwd.getpwnam(outsider).pw_dir, A, f"{A}.ipynb"))
        subprocess.run(["chown", "-R", outsider, pwd.getpwnam(outsider).pw_dir], check=True)
        seen["outsider_fetch"] = hub.run_as(outsider, ["nbgrader", "fetch_assignment", A, "--course", course_id],
                                            role_of=alice)
        seen["outsider_submit"] = hub.run_as(outsider, ["nbgrader", "submit", A, "--course", course_id],
                                             role_of=alice)

        # the instructor collects, grades with the kit, then works in the formgrader
        t1 = time.monotonic()
        seen["collect"] = hub.run_as(instructor, ["nbgrader", "collect", A])
        seen["grade"] = hub.run_as(instructor, ["python", "-m", "autograder", "grade",
                                                str(kit / "autograder" / "submitted"),
                                                "--workspace", str(kit / "autograder")])
        seen["grade_s"] = round(time.monotonic() - t1, 1)
        seen["collected"] = sorted(p.name for p in (kit / "autograder" / "submitted" / alice / A).iterdir())
        seen["fg_before"] = {s["student"]: s for s in hub.get(instructor, f"formgrader/api/submissions/{A}").json()}
        nb = hub.get(instructor, f"formgrader/api/submitted_notebooks/{A}/{A}").json()
        alice_nb = next(n for n in nb if n["student"] == alice)
        grades = hub.get(instructor, f"formgrader/api/grades?submission_id={alice_nb['id']}").json()
        answer = next(g for g in grades if g["name"] == "answer_hidden_units")
        seen["manual_put"] = hub.call("PUT", instructor, f"formgrader/api/grade/{answer['id']}",
                                      json={**answer, "manual_score": answer["max_score"]}).status_code
        seen["fg_after"] = {s["student"]: s for s in hub.get(instructor, f"formgrader/api/submissions/{A}").json()}
        seen["generate_feedback"] = hub.call("POST", instructor,
                                             f"formgrader/api/assignment/{A}/generate_feedback").json()
        seen["release_feedback"] = hub.call("POST", instructor,
                                            f"formgrader/api/assignment/{A}/release_feedback").json()
        seen["fetch_feedback"] = hub.call("POST", alice, "assignments/fetch_feedback",
                                          json={"course_id": course_id, "assignment_id": A}).json()
        feedback_dir = hub.get(alice, f"api/contents/{A}/feedback").json()
        stamp = feedback_dir["content"][0]["name"] if feedback_dir.get("content") else ""
        seen["feedback_html"] = hub.get(alice, f"api/contents/{A}/feedback/{stamp}/{A}.html").json().get("content", "")
        with Gradebook(f"sqlite:///{kit / 'autograder' / 'gradebook.db'}", course_id=course_id) as gb:
            seen["late_penalty"] = {s: gb.find_submission_notebook(A, A, s).late_submission_penalty
                                    for s in (alice, bob, carol)}
        seen["screens"] = _screens(hub, instructor, alice)
        seen["flow_s"] = round(time.monotonic() - started, 1)
    finally:
        seen["teardown"] = _teardown(hub_proc, users, course_id, where, exchange_parent, login_defs)
        for folder, mode in opened:
            folder.chmod(mode)
    seen["total_s"] = round(time.monotonic() - started, 1)
    (ARTIFACTS / "timings.json").write_text(json.dumps({k: v for k, v in seen.items() if k.endswith("_s")}))
    (ARTIFACTS / "flow.json").write_text(json.dumps(seen, indent=1, default=lambda o: {
        "returncode": o.returncode, "stdout": o.stdout[-6000:], "stderr": o.stderr[-6000:]}
        if isinstance(o, subprocess.CompletedProcess) else str(o)))
    return seen


def _teardown(hub_proc, users, course_id, where, exchange_parent, login_defs) -> dict:
    left: dict = {}
    if hub_proc is not None and hub_proc.poll() is None:
        hub_proc.send_signal(signal.SIGTERM)  # cleanup_servers: the hub stops every server, then the proxy
        try:
            hub_proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(hub_proc.pid, signal.SIGKILL)
    hub_tree = subprocess.run(["pgrep", "-f", str(where)], capture_output=True, text=True).stdout.split()
    left["hub_or_proxy"] = [p for p in hub_tree if int(p) != os.getpid()]
    left["user_processes"] = {u: subprocess.run(["pgrep", "-u", u], capture_output=True, text=True).stdout.split()
                              for u in users if _exists(u)}
    for user in users:
        subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
    time.sleep(0.5)
    for user in users:
        subprocess.run(["userdel", "--remove", user], capture_output=True)
    for group in (f"nbgrader-{course_id}", f"formgrade-{course_id}"):
        subprocess.run(["groupdel", group], capture_output=True)
    shutil.rmtree(where, ignore_errors=True)
    shutil.rmtree(exchange_parent, ignore_errors=True)
    if login_defs is not None:
        Path("/etc/login.defs").write_bytes(login_defs)
    left["users"] = [u for u in users if _exists(u)]
    left["groups"] = [g for g in (f"nbgrader-{course_id}", f"formgrade-{course_id}")
                      if subprocess.run(["getent", "group", g], capture_output=True).returncode == 0]
    return left


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def _outcome(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-800:]}"


def test_servers_run_as_their_users(flow):
    for user, uids in flow["server_uids"].items():
        assert uids == [pwd.getpwnam(user).pw_uid] if _exists(user) else len(uids) == 1, (user, uids)
        assert uids and uids[0] >= 1000, f"{user}'s server runs as uids {uids}"


def test_the_formgrader_is_the_instructors_only(flow):
    assert flow["formgrader"] == {"instructor": 200, "student_on_instructors": 403, "student_own": 404}


def test_students_cannot_read_the_source_the_inbound_folder_or_other_homes(flow):
    assert all(code != 0 for code in flow["reads"].values()), flow["reads"]


def test_a_students_server_runs_the_releases_first_cells(flow):
    """The cells before the first exercise (imports of course_utils from the student bundle) run in a student's
    server, in the fast profile."""
    assert flow["first_cells"] >= 1 and flow["first_cells_errors"] == [], flow["first_cells_errors"]


def test_release_fetch_and_submit_go_through_the_exchange(flow):
    assert flow["release"].returncode == 0, _outcome(flow["release"])
    assert [a["assignment_id"] for a in flow["listed"]["value"]] == [A], flow["listed"]
    for user in flow["students"][:3]:
        assert flow[f"fetch_{user}"]["success"], flow[f"fetch_{user}"]
    for key in (f"submit_{flow['students'][0]}", f"submit_{flow['students'][1]}", "submit_late"):
        assert flow[key]["success"], flow[key]
    assert flow["fetch_dave"].returncode == 0 and flow["submit_dave"].returncode == 0, _outcome(flow["submit_dave"])


def test_a_user_outside_the_course_is_refused_fetch_and_submit(flow):
    assert flow["outsider_fetch"].returncode != 0, _outcome(flow["outsider_fetch"])
    assert flow["outsider_submit"].returncode != 0, _outcome(flow["outsider_submit"])


def test_collect_the_kits_grade_and_the_formgrader_agree(flow):
    """After collect, the kit grades in place (collect's files kept); the formgrader then shows each submission as
    autograded with the kit's score and the submission time; the broken notebook is reported, not graded."""
    alice, bob, carol, dave = flow["students"]
    assert flow["collect"].returncode == 0, _outcome(flow["collect"])
    assert flow["collected"] == [f"{A}.ipynb", "submission_secret.txt", "timestamp.txt"], flow["collected"]
    assert flow["grade"].returncode == 0, _outcome(flow["grade"])
    rows = {line.split()[0]: line.split()[1:] for line in flow["grade"].stdout.splitlines() if line.strip()}
    assert rows[alice][0] == "10/10" and rows[bob][0] == "0/10" and rows[carol][0] == "9/10", flow["grade"].stdout
    assert rows[dave][:2] == ["0/10", "!"], flow["grade"].stdout  # not graded normally, with its reason below
    assert f"{dave}/{A}: [problem] not valid JSON" in flow["grade"].stdout, flow["grade"].stdout
    assert f"{carol}/{A}: [graded] late: 1 points taken" in flow["grade"].stdout, flow["grade"].stdout
    fg = flow["fg_before"]
    for student, score in ((alice, 10), (bob, 0), (carol, 10)):  # the formgrader's score is before the penalty
        assert fg[student]["autograded"] and fg[student]["score"] == score and fg[student]["timestamp"], fg[student]
    assert not fg[dave]["autograded"], fg[dave]


def test_a_late_submission_loses_the_configured_share(flow):
    """10 % per started day (--late-penalty-per-day 0.1): carol, 1 s late, loses 1 of 10 points; nbgrader keeps
    the penalty beside the score (the formgrader and its feedback show both); alice and bob, on time, lose none."""
    alice, bob, carol, _ = flow["students"]
    assert flow["duedate"].returncode == 0, _outcome(flow["duedate"])
    assert {s: p or 0 for s, p in flow["late_penalty"].items()} == {alice: 0, bob: 0, carol: 1.0}, flow["late_penalty"]


def test_a_written_answer_graded_in_the_formgrader_adds_its_points(flow):
    alice = flow["students"][0]
    assert flow["manual_put"] == 200
    assert flow["fg_after"][alice]["score"] == flow["fg_before"][alice]["score"] + 3, flow["fg_after"][alice]


def test_released_feedback_reaches_the_student_with_the_score_and_no_hidden_tests(flow):
    assert flow["generate_feedback"]["success"], flow["generate_feedback"]
    assert flow["release_feedback"]["success"], flow["release_feedback"]
    assert flow["fetch_feedback"]["success"], flow["fetch_feedback"]
    html = flow["feedback_html"]
    assert "Score: 13.0 / 13.0" in html or "13.0 / 13.0" in html, html[:2000]
    assert not [line for line in _hidden_lines() if line in html]


def test_the_browser_shows_the_assignments_panel_and_the_formgrader(flow):
    assert A in flow["screens"]["student"] and A in flow["screens"]["instructor"]
    assert all(s in flow["screens"]["instructor_submissions"] for s in flow["students"])
    assert (ARTIFACTS / "student-assignments.png").is_file() and (ARTIFACTS / "instructor-formgrader.png").is_file()


def test_teardown_leaves_no_process_and_no_user(flow):
    left = flow["teardown"]
    assert left == {"hub_or_proxy": [], "user_processes": {u: [] for u in flow["users"]}, "users": [],
                    "groups": []} or (not left["hub_or_proxy"] and not any(left["user_processes"].values())
                                      and not left["users"] and not left["groups"]), left


def test_an_lms_launch_logs_students_in_under_stable_names_with_their_course_roles(tmp_path):
    """LTI 1.3 launches from a real platform implementation (lti1p3platform, tests/lti_platform.py) into a hub set
    up by ``hub-setup --authenticator lti``: OIDC login initiation, the platform's authorization answer, the ID token
    posted to the hub's callback; each user logged in under :func:`lti.hub_username` with the group of their role,
    two ``sub`` differing only by case kept apart, and the launch's claims kept in ``auth_state``."""
    import re
    import sqlite3

    from cryptography.hazmat.primitives import serialization  # noqa: F401 - the platform needs it
    pytest.importorskip("ltiauthenticator")
    sys.path.insert(0, str(ROOT / "tests"))
    from lti_platform import Platform, rsa_pair

    from autograder.deploy import lti

    tag = "ck" + secrets.token_hex(2)
    course_id, instructor = f"{tag}-dl", f"{tag}prof"
    where = Path(f"/opt/{tag}-lti-test")
    where.mkdir(mode=0o755)
    login_defs = Path("/etc/login.defs").read_bytes()
    hub_proc, opened, users = None, [], [instructor]
    platform = Platform(_free_port(), rsa_pair()[1]).start()
    port = _free_port()
    hub_url = f"http://127.0.0.1:{port}"
    platform.redirect_uri = platform.target_link_uri = f"{hub_url}/hub/lti13/oauth_callback"
    launches = {"Stu-A": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
                "stu-a": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
                "T-1": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]}
    platform.launch_users = launches
    seen = {}
    try:
        subprocess.run(["useradd", "--create-home", instructor], check=True)
        kit = Path(pwd.getpwnam(instructor).pw_dir) / "course"
        _copy_kit(kit, where)
        opened = _open_interpreter()
        prefix = where / "hub"
        setup = subprocess.run([sys.executable, "-m", "autograder", "hub-setup", "--course", course_id,
                                "--instructor", instructor, "--kit", str(kit), "--prefix", str(prefix),
                                "--exchange-parent", str(where / "exchange"), "--python", sys.executable,
                                "--ip", "127.0.0.1", "--port", str(port), "--authenticator", "lti",
                                "--lti-issuer", platform.issuer, "--lti-client-id", platform.client_id,
                                "--lti-authorize-url", platform.authorize_url, "--lti-jwks-url", platform.jwks_url],
                               capture_output=True, text=True, timeout=300)
        assert setup.returncode == 0, setup.stderr + setup.stdout
        hub_proc = _start_hub(prefix, where, hub_url)
        for sub in launches:
            s = requests.Session()
            r = s.post(f"{hub_url}/hub/lti13/oauth_login", data={
                "iss": platform.issuer, "login_hint": sub, "target_link_uri": platform.target_link_uri,
                "client_id": platform.client_id, "lti_deployment_id": "1", "lti_message_hint": "notebook-01"})
            assert r.status_code == 200 and "id_token" in r.text, (r.status_code, r.text[:500])
            form = dict(re.findall(r"name=(\w+) value='([^']*)'", r.text))
            r = s.post(platform.redirect_uri, data=form, allow_redirects=False)
            assert r.status_code == 302, (r.status_code, r.text[:500], (where / "hub.log").read_text()[-2000:])
            seen[sub] = s.get(f"{hub_url}/hub/api/user", timeout=30).json()
        with sqlite3.connect(prefix / "state" / "jupyterhub.sqlite") as db:
            seen["auth_state"] = {name: state is not None for name, state in
                                  db.execute("select name, encrypted_auth_state from users")}
        bad = requests.Session().post(platform.redirect_uri, data={"id_token": platform.id_token(
            "Stu-A", "forged-nonce", launches["Stu-A"]), "state": "forged"}, allow_redirects=False)
        seen["forged"] = bad.status_code
    finally:
        platform.stop()
        seen["teardown"] = _teardown(hub_proc, users, course_id, where, where / "exchange", login_defs)
        for folder, mode in opened:
            folder.chmod(mode)

    names = {sub: lti.hub_username(platform.issuer, sub) for sub in launches}
    assert len(set(names.values())) == 3  # "Stu-A" and "stu-a" are two people
    for sub, model in ((s, seen[s]) for s in launches):
        assert model["name"] == names[sub], model
    assert sorted(seen["Stu-A"]["groups"]) == [f"nbgrader-{course_id}"]
    assert sorted(seen["T-1"]["groups"]) == sorted([f"nbgrader-{course_id}", f"formgrade-{course_id}"])
    assert all(seen["auth_state"][names[s]] for s in launches)  # the launch's claims, kept for the passback
    assert seen["forged"] >= 400  # a callback without the login's state cookie is refused
    assert not seen["teardown"]["hub_or_proxy"] and not seen["teardown"]["users"]
