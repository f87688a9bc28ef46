"""A course on one JupyterHub machine, the way The Littlest JupyterHub runs one: glue around JupyterHub and nbgrader.

``python -m autograder hub-setup`` (as root, on the hub machine) prepares what JupyterHub and nbgrader leave to the
administrator, and writes the hub's configuration:

- **Users and groups**: the course's system users (made with ``--create-users``, else they must exist), in two
  Unix groups named as nbgrader's JupyterHub groups: ``nbgrader-<course>`` (everyone in the course) and
  ``formgrade-<course>`` (instructors). The hub loads the same two groups (``load_groups``).
- **Homes unreadable by others** (``0700``; Debian's ``useradd -m`` makes them ``0755``), and ``HOME_MODE 0700`` in
  ``/etc/login.defs`` so that users made later get the same.
- **The course source** is the instructor's copy of the kit (``--kit``, inside the instructor's home, the
  nbgrader course root the formgrader manages): ``solutions/`` holds the hidden tests, so the copy is made
  unreadable by anyone else.
- **The exchange** (nbgrader's file-system exchange): ``Exchange.root`` lies inside ``<exchange-parent>``, a folder
  only the course's group may enter (``0750 root:nbgrader-<course>``): nbgrader itself makes the root ``0777`` and
  ``outbound`` world-readable, so without that parent anyone on the machine could fetch and submit.
- **The students' environment**: the student bundle (``python -m autograder bundle``: released notebooks,
  ``course_utils``, no solutions) copied read-only into ``<prefix>/course`` and put on the servers' ``PYTHONPATH``;
  the Python environment with the course's dependencies is ``--python`` (one already installed), or one built in
  ``<prefix>/env`` with pip. The data root (``--data``) is shared read-only through ``COURSE_DATA_DIR``.
- **Two Jupyter configurations**, chosen per user by the hub when it spawns a server
  (:func:`role_environment`, ``JUPYTER_CONFIG_PATH``): students get nbgrader's Assignments (course id, exchange
  root) and no formgrader, course list or create-assignment tools; instructors get the kit's nbgrader
  configuration (:mod:`.formgrader`: sandboxed *Autograde*, hidden tests kept out of feedback, the late rule).
- **The hub's configuration** ``<prefix>/jupyterhub_config.py`` (reads ``<prefix>/course.json``): PAM or
  NativeAuthenticator, LocalProcessSpawner or SystemdSpawner (per-user memory and CPU limits), JupyterLab as the
  default UI, only the course's users allowed; and ``<prefix>/jupyterhub.service`` for systemd.

Everything else is JupyterHub's and nbgrader's own. ``docs/jupyterhub.md`` walks an instructor through it.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import bundle
from . import formgrader

JUPYTERHUB_VERSION = "6.1.1"  # the release the hub test runs against (pyproject's `hub` extra pins it)
CHP_VERSION = "5.3.0"  # configurable-http-proxy, from npm
STUDENT_DISABLED_LAB = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                        "@jupyter/nbgrader:course-list")
STUDENT_DISABLED_SERVER = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


class HubSetupError(RuntimeError):
    """The hub cannot be set up as asked (not root, a missing user, a readable course source); one-line text."""


@dataclass
class HubCourse:
    """What a hub course is made of; written to ``<prefix>/course.json``, which the hub's configuration reads."""

    course_id: str
    instructors: list[str]
    students: list[str]
    kit: str  # the instructor's copy of the kit: nbgrader's course root, inside the first instructor's home
    prefix: str = ""  # default /opt/course-hub/<course>
    exchange_parent: str = ""  # default /srv/nbgrader/<course>
    data_dir: str | None = None
    python: str = ""  # the servers' interpreter; default <prefix>/env/bin/python, built by setup
    proxy: str = ""  # configurable-http-proxy
    ip: str = ""  # the hub's public address; "" is every interface
    port: int = 8000
    hub_port: int = 8081  # the hub's own API, on 127.0.0.1
    proxy_api_port: int = 8001  # the proxy's API, on 127.0.0.1
    authenticator: str = "pam"  # "native" (NativeAuthenticator: sign-up, an admin approves), "lti" (LMS launches)
    spawner: str = "local"  # or "systemd" (per-user limits by cgroups)
    mem_limit: str | None = None  # e.g. "4G" (SystemdSpawner enforces it)
    cpu_limit: float | None = None
    admin_users: list[str] = field(default_factory=list)  # JupyterHub admins (none by default)
    late_penalty_per_day: float = 0.0
    late_penalty_max: float = 1.0
    # --authenticator lti: the LMS as an OpenID Connect provider (docs/lms.md)
    lti_issuer: str = ""
    lti_client_id: str = ""
    lti_authorize_url: str = ""
    lti_jwks_url: str = ""

    def __post_init__(self) -> None:
        self.prefix = self.prefix or f"/opt/course-hub/{self.course_id}"
        self.exchange_parent = self.exchange_parent or f"/srv/nbgrader/{self.course_id}"
        self.python = self.python or str(Path(self.prefix) / "env" / "bin" / "python")

    @property
    def exchange(self) -> Path:
        """nbgrader's ``Exchange.root``."""
        return Path(self.exchange_parent) / "exchange"

    @property
    def groups(self) -> dict[str, list[str]]:
        """nbgrader's JupyterHub group names, used as Unix groups too."""
        return {f"nbgrader-{self.course_id}": sorted(set(self.students + self.instructors)),
                f"formgrade-{self.course_id}": sorted(self.instructors)}

    def config_dir(self, role: str) -> Path:
        return Path(self.prefix) / "etc" / role

    @classmethod
    def load(cls, prefix: Path) -> "HubCourse":
        return cls(**json.loads((Path(prefix) / "course.json").read_text()))


def role_environment(hub: HubCourse, user: str, teaching: bool = False) -> dict[str, str]:
    """The environment a user's server gets (the hub's ``pre_spawn_hook`` calls this; so does the test).
    Instructors are the course's (``--instructor``); ``teaching`` (an LTI launch's Instructor role, hence the
    ``formgrade-<course>`` group) gives the formgrader too."""
    instructor = user in hub.instructors or teaching
    env = {"JUPYTER_CONFIG_PATH": str(hub.config_dir("instructors" if instructor else "students")),
           "COURSE_ID": hub.course_id, "COURSE_EXCHANGE_DIR": str(hub.exchange),
           "PYTHONPATH": hub.kit if instructor else str(Path(hub.prefix) / "course"),
           "PATH": f"{Path(hub.python).parent}:/usr/local/bin:/usr/bin:/bin"}
    if hub.data_dir:
        env["COURSE_DATA_DIR"] = hub.data_dir
    if instructor:
        env["COURSE_GRADING_DIR"] = str(Path(hub.kit) / "autograder")
        env["COURSE_LATE_PENALTY_PER_DAY"] = str(hub.late_penalty_per_day)
        env["COURSE_LATE_PENALTY_MAX"] = str(hub.late_penalty_max)
    return env


HUB_CONFIG = '''\
# Written by `python -m autograder hub-setup`; the course's values are in course.json beside this file.
# Start the hub as root:  {python_dir}/jupyterhub -f {prefix}/jupyterhub_config.py
import json
import os
from pathlib import Path

from autograder.deploy.hub import HubCourse, role_environment

c = get_config()  # noqa: F821
HERE = Path(__file__).resolve().parent
hub = HubCourse.load(HERE)

c.JupyterHub.ip = hub.ip
c.JupyterHub.port = hub.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = hub.hub_port
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{{hub.proxy_api_port}}"
c.JupyterHub.cookie_secret_file = str(HERE / "state" / "jupyterhub_cookie_secret")
c.JupyterHub.db_url = f"sqlite:///{{HERE / 'state' / 'jupyterhub.sqlite'}}"
c.ConfigurableHTTPProxy.command = [hub.proxy]
c.ConfigurableHTTPProxy.pid_file = str(HERE / "state" / "jupyterhub-proxy.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every server it started

c.Authenticator.allowed_users = set(hub.students + hub.instructors)
c.Authenticator.admin_users = set(hub.admin_users)
if hub.authenticator == "lti":
    # LTI 1.3 launches from the LMS (autograder/deploy/hub_lti.py): names and groups from the launch; anyone the
    # LMS launches into this course is allowed, and the launch's claims are kept (encrypted) for the passback.
    c.JupyterHub.authenticator_class = "autograder.deploy.hub_lti.CourseLTI13Authenticator"
    c.CourseLTI13Authenticator.course_id = hub.course_id
    c.LTI13Authenticator.issuer = hub.lti_issuer
    c.LTI13Authenticator.client_id = [hub.lti_client_id]
    c.LTI13Authenticator.authorize_url = hub.lti_authorize_url
    c.LTI13Authenticator.jwks_endpoint = hub.lti_jwks_url
    c.Authenticator.allow_all = True
    c.Authenticator.manage_groups = True
    c.Authenticator.enable_auth_state = True
    os.environ.setdefault("JUPYTERHUB_CRYPT_KEY", (HERE / "state" / "crypt_key").read_text().strip())
elif hub.authenticator == "native":
    # Self sign-up; an admin approves each account at /hub/authorize; the system user is made on first spawn.
    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.minimum_password_length = 10
else:
    c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"
if hub.authenticator != "lti":  # with LTI the launches manage the groups
    c.JupyterHub.load_groups = {{name: {{"users": users}} for name, users in hub.groups.items()}}

if hub.spawner == "systemd":
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    c.SystemdSpawner.dynamic_users = False  # the course's system users, as PAM knows them
    c.SystemdSpawner.isolate_tmp = True
    c.SystemdSpawner.disable_user_sudo = True
else:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
if hub.mem_limit:
    c.Spawner.mem_limit = hub.mem_limit
if hub.cpu_limit:
    c.Spawner.cpu_limit = hub.cpu_limit
c.Spawner.cmd = [hub.python, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 120


def _course_environment(spawner):
    """Each server gets its role's configuration: the formgrader for instructors only."""
    teaching = any(g.name == f"formgrade-{{hub.course_id}}" for g in spawner.user.groups)
    spawner.environment.update(role_environment(hub, spawner.user.name, teaching))
    if hub.authenticator in ("native", "lti"):
        from autograder.deploy.hub import ensure_system_user

        ensure_system_user(spawner.user.name)


c.Spawner.pre_spawn_hook = _course_environment
'''

STUDENT_NBGRADER = '''\
# Written by `python -m autograder hub-setup`: a student's nbgrader (Assignments tab) for course {course!r}.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course!r}
c.Exchange.root = {exchange!r}
'''

SYSTEMD_UNIT = '''\
[Unit]
Description=JupyterHub for course {course}
After=network.target

[Service]
User=root
ExecStart={python_dir}/jupyterhub -f {prefix}/jupyterhub_config.py
WorkingDirectory={prefix}/state
Restart=on-failure

[Install]
WantedBy=multi-user.target
'''


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise HubSetupError(f"{' '.join(cmd)} failed: {(proc.stderr or proc.stdout).strip()[-300:]}")


def ensure_system_user(name: str) -> bool:
    """Make system user ``name`` (home ``0700``) unless it exists; True when it was made."""
    if not NAME.fullmatch(name):
        raise HubSetupError(f"{name!r} is not a valid system user name")
    try:
        pwd.getpwnam(name)
        return False
    except KeyError:
        _run(["useradd", "--create-home", "--shell", "/bin/bash", "--key", "HOME_MODE=0700", name])
        return True


def _ensure_group(name: str, members: list[str]) -> None:
    try:
        grp.getgrnam(name)
    except KeyError:
        _run(["groupadd", name])
    _run(["gpasswd", "-M", ",".join(members), name])


def _home_mode_default() -> str:
    """``HOME_MODE 0700`` in /etc/login.defs: homes ``useradd -m`` makes later are private too."""
    defs = Path("/etc/login.defs")
    text = defs.read_text() if defs.exists() else ""
    if re.search(r"^HOME_MODE\s+0?700\s*$", text, re.M):
        return "HOME_MODE already 0700"
    text = re.sub(r"^HOME_MODE\s+\S+\s*\n", "", text, flags=re.M)
    defs.write_text(text.rstrip("\n") + "\nHOME_MODE\t0700\n")
    return "HOME_MODE 0700 in /etc/login.defs"


def _find_proxy() -> str:
    here = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    found = shutil.which("configurable-http-proxy") or (str(here) if here.exists() else None)
    if not found:
        raise HubSetupError("configurable-http-proxy not found: npm install -g configurable-http-proxy@"
                            f"{CHP_VERSION} (make install puts one in .venv/node)")
    return found


def _build_env(hub: HubCourse, bundle_dir: Path) -> str:
    """A Python environment for the servers: the course's dependencies (the bundle's) and JupyterHub."""
    env = Path(hub.prefix) / "env"
    base = shutil.which("python3.11", path="/usr/local/bin:/usr/bin") or sys.executable  # not one under /root
    _run([base, "-m", "venv", str(env)])
    deps = bundle.student_dependencies() + [f"jupyterhub=={JUPYTERHUB_VERSION}"]
    index = os.environ.get("TORCH_INDEX_URL", "https://download.pytorch.org/whl/cpu")
    torch = [d for d in deps if d.startswith(("torch", "torchvision"))]
    proc = subprocess.run([str(env / "bin" / "pip"), "install", "--quiet", "--index-url", index, *torch])
    if proc.returncode != 0:  # PyTorch's CPU index unreachable: PyPI's build
        _run([str(env / "bin" / "pip"), "install", "--quiet", *torch])
    _run([str(env / "bin" / "pip"), "install", "--quiet", *deps])
    return str(env / "bin" / "python")


def _private(path: Path, owner: str, group: str | None = None, mode: int = 0o700) -> None:
    shutil.chown(path, owner, group or pwd.getpwnam(owner).pw_gid)
    path.chmod(mode)


def setup(hub: HubCourse, create_users: bool = False) -> list[str]:
    """Set the course up on this machine (as root); returns what it did, one line each. Missing users are an
    error unless ``create_users``."""
    if os.geteuid() != 0:
        raise HubSetupError("hub-setup makes users, groups and system folders: run it as root")
    for name in hub.students + hub.instructors:
        if not NAME.fullmatch(name):
            raise HubSetupError(f"{name!r} is not a valid system user name")
    if not NAME.fullmatch(f"formgrade-{hub.course_id}"):
        raise HubSetupError(f"course id {hub.course_id!r} cannot name the Unix groups formgrade-ID and nbgrader-ID: "
                            "use lower-case letters, digits, '-' or '_', at most 22 characters")
    if not hub.instructors:
        raise HubSetupError("a course needs at least one instructor (--instructor)")
    if set(hub.students) & set(hub.instructors):
        raise HubSetupError(f"both student and instructor: {sorted(set(hub.students) & set(hub.instructors))}")
    missing = [u for u in hub.students + hub.instructors if not _user_exists(u)]
    done: list[str] = []
    if missing:
        if not create_users:
            raise HubSetupError(f"no such system users: {', '.join(missing)} (make them with useradd -m, or pass "
                                "--create-users)")
        for name in missing:
            ensure_system_user(name)
        done.append(f"made system users {', '.join(missing)}")
    kit, first = Path(hub.kit).resolve(), hub.instructors[0]
    home = Path(pwd.getpwnam(first).pw_dir)
    if not (kit / "autograder" / "nbgrader_config.py").is_file() or not (kit / "solutions").is_dir():
        raise HubSetupError(f"{kit} is not a copy of the course kit (no autograder/nbgrader_config.py or solutions/)")
    if home not in kit.parents:
        raise HubSetupError(f"the course source {kit} must lie inside {first}'s home {home}: the formgrader manages "
                            "only folders inside the instructor's server root")
    hub.kit = str(kit)
    hub.proxy = hub.proxy or _find_proxy()

    for name, members in hub.groups.items():
        _ensure_group(name, members)
    done.append("groups " + "; ".join(f"{n}: {', '.join(m)}" for n, m in hub.groups.items()))
    for name in hub.students + hub.instructors:
        user_home = Path(pwd.getpwnam(name).pw_dir)
        if user_home.is_dir():
            user_home.chmod(0o700)
    done.append(f"homes of the course's {len(hub.students + hub.instructors)} users: 0700; " + _home_mode_default())
    subprocess.run(["chown", "-R", f"{first}:{pwd.getpwnam(first).pw_gid}", str(kit)], check=True)
    kit.chmod(0o700)
    done.append(f"course source {kit}: {first}'s, 0700")

    parent = Path(hub.exchange_parent)
    parent.mkdir(parents=True, exist_ok=True)
    _private(parent, "root", f"nbgrader-{hub.course_id}", 0o750)
    hub.exchange.mkdir(exist_ok=True)
    _private(hub.exchange, first, f"nbgrader-{hub.course_id}", 0o777)  # nbgrader's own mode for its root
    done.append(f"exchange {hub.exchange} (parent 0750 root:nbgrader-{hub.course_id}: course members only)")

    prefix = Path(hub.prefix)
    for sub in ("etc/students/labconfig", "etc/students/jupyter_server_config.d", "etc/instructors", "state"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    (prefix / "state").chmod(0o700)
    course_dir = prefix / "course"
    shutil.rmtree(course_dir, ignore_errors=True)
    bundle.write(course_dir)
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(course_dir)], check=True)
    done.append(f"student bundle in {course_dir} (read-only, on the students' PYTHONPATH)")
    if not Path(hub.python).exists():
        hub.python = _build_env(hub, course_dir)
        done.append(f"environment built: {hub.python}")
    for user in (hub.instructors[0], *hub.students[:1]):
        _check_runs_as(user, hub.python)
    done.append(f"servers' Python {hub.python}: runs as the course's users")
    if hub.data_dir:
        data = Path(hub.data_dir)
        if not data.is_dir():
            raise HubSetupError(f"--data {data} is not a folder")
        done.append(f"data root {data} shared as COURSE_DATA_DIR (students read it; it must be world-readable)")

    students = hub.config_dir("students")
    (students / "nbgrader_config.py").write_text(STUDENT_NBGRADER.format(course=hub.course_id,
                                                                         exchange=str(hub.exchange)))
    (students / "jupyter_server_config.d" / "course-students.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_DISABLED_SERVER}}}, indent=2))
    (students / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in STUDENT_DISABLED_LAB}}, indent=2))
    (hub.config_dir("instructors") / "nbgrader_config.py").write_text(formgrader.instructor_config(kit))
    done.append(f"Jupyter configuration per role in {prefix / 'etc'} (students: no formgrader)")

    if hub.authenticator == "lti":
        missing = [k for k in ("lti_issuer", "lti_client_id", "lti_authorize_url", "lti_jwks_url") if not getattr(hub, k)]
        if missing:
            raise HubSetupError("--authenticator lti needs " + ", ".join("--" + m.replace("_", "-") for m in missing))
        key = prefix / "state" / "crypt_key"
        if not key.exists():  # JupyterHub encrypts auth_state (the launch's claims) with it
            key.write_text(secrets.token_hex(32))
            key.chmod(0o600)
    (prefix / "course.json").write_text(json.dumps(asdict(hub), indent=2))
    python_dir = Path(hub.python).parent
    (prefix / "jupyterhub_config.py").write_text(HUB_CONFIG.format(python_dir=python_dir, prefix=prefix))
    (prefix / "jupyterhub.service").write_text(SYSTEMD_UNIT.format(course=hub.course_id, python_dir=python_dir,
                                                                   prefix=prefix))
    for name in ("course.json", "jupyterhub_config.py", "jupyterhub.service"):
        (prefix / name).chmod(0o644)
    done.append(f"hub configuration {prefix / 'jupyterhub_config.py'}; start: {python_dir}/jupyterhub -f "
                f"{prefix / 'jupyterhub_config.py'} (or systemctl link {prefix / 'jupyterhub.service'})")
    return done


def as_user(name: str) -> list[str]:
    """The command prefix that runs a program as system user ``name`` with its groups (as its server would)."""
    return ["setpriv", f"--reuid={name}", f"--regid={pwd.getpwnam(name).pw_gid}", "--init-groups", "--reset-env"]


def _check_runs_as(user: str, python: str) -> None:
    """``python`` must run as ``user`` exactly as it runs for root: an interpreter whose shared library lies in a
    private folder (pyenv under /root) starts as another user with the system's libpython instead, and then fails
    in odd places (``_ssl``'s missing symbols, regular expressions that match nothing)."""
    probe = "import sys, ssl, jupyterhub, nbgrader, jupyterlab, torch; print(sys.version)"
    mine = subprocess.run([python, "-c", probe], capture_output=True, text=True, cwd="/")
    theirs = subprocess.run([*as_user(user), python, "-c", probe], capture_output=True, text=True, cwd="/")
    if theirs.returncode != 0 or theirs.stdout != mine.stdout:
        why = (theirs.stderr.strip().splitlines() or [f"Python {theirs.stdout.strip()} as {user}, "
                                                      f"{mine.stdout.strip()} as root"])[-1]
        raise HubSetupError(f"the servers' Python {python} does not run as {user} as it does for root ({why}); an "
                            "interpreter under a private folder (pyenv under /root) cannot serve other users: "
                            "build the environment from /usr/bin/python3 (leave out --python)")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
