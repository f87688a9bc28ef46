"""The hub's configuration that ``hub-setup`` writes, loaded as JupyterHub loads it, and hub-setup's refusals.
(The hub itself, end to end: tests/test_hub.py, as root.)"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograder.cli import main
from autograder.deploy import hub


def _course(tmp_path: Path, **kw) -> hub.HubCourse:
    return hub.HubCourse(course_id="dl2026", instructors=["prof"], students=["alice", "bob"],
                         kit="/home/prof/course", prefix=str(tmp_path), proxy="/usr/bin/configurable-http-proxy",
                         **kw)


def _load(tmp_path: Path, course: hub.HubCourse):
    (tmp_path / "course.json").write_text(json.dumps(asdict(course)))
    (tmp_path / "jupyterhub_config.py").write_text(hub.HUB_CONFIG.format(python_dir="/x/bin", prefix=tmp_path))
    return PyFileConfigLoader("jupyterhub_config.py", path=str(tmp_path)).load_config()


@pytest.mark.parametrize("authenticator, expected", [("pam", "jupyterhub.auth.PAMAuthenticator"),
                                                     ("native", "nativeauthenticator.NativeAuthenticator")])
def test_the_hub_configuration_allows_the_course_only_and_names_nbgraders_groups(tmp_path, authenticator, expected):
    c = _load(tmp_path, _course(tmp_path, authenticator=authenticator))
    assert c.JupyterHub.authenticator_class == expected
    assert c.Authenticator.allowed_users == {"prof", "alice", "bob"}
    assert c.JupyterHub.load_groups == {"nbgrader-dl2026": {"users": ["alice", "bob", "prof"]},
                                        "formgrade-dl2026": {"users": ["prof"]}}
    assert c.Spawner.default_url == "/lab" and c.JupyterHub.cleanup_servers is True


def test_each_server_gets_its_roles_configuration(tmp_path):
    """The spawn hook gives students the students' Jupyter configuration (no formgrader) and the bundle on their
    path, instructors the kit's configuration and their kit copy: never the kit to a student."""
    c = _load(tmp_path, _course(tmp_path, data_dir="/srv/data"))
    envs = {}
    for name in ("alice", "prof"):
        spawner = SimpleNamespace(environment={}, user=SimpleNamespace(name=name, groups=[]))
        c.Spawner.pre_spawn_hook(spawner)
        envs[name] = spawner.environment
    assert envs["alice"]["JUPYTER_CONFIG_PATH"].endswith("etc/students")
    assert envs["alice"]["PYTHONPATH"] == str(tmp_path / "course") and "COURSE_GRADING_DIR" not in envs["alice"]
    assert envs["prof"]["JUPYTER_CONFIG_PATH"].endswith("etc/instructors")
    assert envs["prof"]["PYTHONPATH"] == "/home/prof/course"
    assert envs["alice"]["COURSE_DATA_DIR"] == envs["prof"]["COURSE_DATA_DIR"] == "/srv/data"
    assert envs["alice"]["COURSE_EXCHANGE_DIR"] == "/srv/nbgrader/dl2026/exchange"


def test_an_lti_hub_takes_names_and_groups_from_the_launch(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "crypt_key").write_text("00" * 32)
    c = _load(tmp_path, _course(tmp_path, authenticator="lti", lti_issuer="https://lms", lti_client_id="c1",
                                lti_authorize_url="https://lms/auth", lti_jwks_url="https://lms/jwks"))
    assert c.JupyterHub.authenticator_class == "autograder.deploy.hub_lti.CourseLTI13Authenticator"
    assert c.CourseLTI13Authenticator.course_id == "dl2026" and c.LTI13Authenticator.client_id == ["c1"]
    assert c.Authenticator.manage_groups and c.Authenticator.enable_auth_state and "load_groups" not in c.JupyterHub
    teacher = SimpleNamespace(environment={}, user=SimpleNamespace(name="lti-abc", groups=[
        SimpleNamespace(name="formgrade-dl2026")]))
    import autograder.deploy.hub as hub_module

    calls = []
    original, hub_module.ensure_system_user = hub_module.ensure_system_user, calls.append
    try:
        c.Spawner.pre_spawn_hook(teacher)
    finally:
        hub_module.ensure_system_user = original
    assert teacher.environment["JUPYTER_CONFIG_PATH"].endswith("etc/instructors") and calls == ["lti-abc"]


def test_systemd_spawner_carries_the_per_user_limits(tmp_path):
    c = _load(tmp_path, _course(tmp_path, spawner="systemd", mem_limit="4G", cpu_limit=2.0))
    assert c.JupyterHub.spawner_class == "systemdspawner.SystemdSpawner"
    assert c.Spawner.mem_limit == "4G" and c.Spawner.cpu_limit == 2.0


def test_hub_setup_refuses_clearly(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(hub.os, "geteuid", lambda: 1000)
    args = ["hub-setup", "--course", "dl2026", "--instructor", "prof", "--students", "alice", "--kit", str(tmp_path)]
    assert main(args) == 2
    assert "run it as root" in capsys.readouterr().err
    monkeypatch.setattr(hub.os, "geteuid", lambda: 0)
    assert main([*args[:2], "Bad Course", *args[3:]]) == 2
    assert "COURSE_ID must be" in capsys.readouterr().err
    assert main([*args[:2], "DL2026", *args[3:]]) == 2
    assert "cannot name the Unix groups" in capsys.readouterr().err
    assert main([*args[:4], "alice", *args[5:]]) == 2
    assert "both student and instructor" in capsys.readouterr().err
