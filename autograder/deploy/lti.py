"""Grades to an LMS (Canvas, Moodle, ...) by LTI 1.3 Assignment and Grade Services, and the roster from it by Names
and Role Provisioning Services: glue around ``pylti1p3`` (the tool side of LTI 1.3).

``python -m autograder export --format lti`` posts each student's points per assignment to the platform's line item
tagged with the assignment id (created with the assignment's maximum when missing); ``activityProgress`` Completed,
``gradingProgress`` FullyGraded, or PendingManual while the formgrader still has answers to grade. Every score
carries the time it was posted, so a re-run replaces the earlier scores (AGS keeps one result per user and line
item) and never duplicates a line item. ``python -m autograder lti-roster`` adds the platform's learners to the
gradebook with their LTI user id (``lms_user_id``), for students who never launched the hub from the LMS.

The LTI user id of a student is nbgrader's ``lms_user_id``; a student without one is reported, not skipped. A
platform that refuses (bad key, wrong audience, a score older than its last one, any 4xx or 5xx, a time-out) gives
one line per student and a non-zero exit; nothing is retried silently. One access token serves every request while
it is valid (``ServiceConnector``'s cache, kept in memory here).

**Configuration, in one place**: a JSON file (``COURSE_LTI_CONFIG``, default ``<workspace>/lti.json``)::

    {"issuer": "https://canvas.instructure.com", "client_id": "10000000000001", "deployment_id": "1:abc",
     "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
     "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
     "lineitems_url": "https://school.instructure.com/api/lti/courses/42/line_items",
     "memberships_url": "https://school.instructure.com/api/lti/courses/42/names_and_roles",
     "private_key_file": "/home/prof/.lti/tool-private.pem", "kid": "course-kit-1"}

The private key file must be readable by its owner only; its contents are never printed or logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import base64
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .. import classbook, course
from ..grading import gradebook
from ..grading.outcomes import STATUS_ABSENT, STATUS_OK

AGS_SCOPES = ("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
              "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
              "https://purl.imsglobal.org/spec/lti-ags/scope/score")
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
REQUIRED = ("issuer", "client_id", "auth_token_url", "lineitems_url", "private_key_file")


class LtiError(RuntimeError):
    """Configuration the passback cannot use; one line, never the key."""


@dataclass
class LtiPlatform:
    """The LMS as the tool knows it (its registration there), from ``lti.json``."""

    issuer: str
    client_id: str
    auth_token_url: str
    lineitems_url: str
    private_key_file: str
    deployment_id: str = ""
    key_set_url: str = ""
    memberships_url: str = ""
    kid: str = ""
    auth_audience: str = ""  # the token endpoint's audience when it differs from auth_token_url (Moodle: none)
    timeout_s: float = 30.0

    @classmethod
    def load(cls, path: Path) -> "LtiPlatform":
        if not path.is_file():
            raise LtiError(f"no LTI configuration at {path} (set COURSE_LTI_CONFIG; docs/lms.md lists the fields)")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise LtiError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
        missing = [k for k in REQUIRED if not data.get(k)]
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if missing or unknown:
            raise LtiError(f"{path}: " + "; ".join(filter(None, [missing and f"missing {', '.join(missing)}",
                                                                  unknown and f"unknown {', '.join(unknown)}"])))
        return cls(**data)

    def private_key(self) -> str:
        key = Path(self.private_key_file).expanduser()
        if not key.is_file():
            raise LtiError(f"the tool's private key {key} does not exist")
        if key.stat().st_mode & 0o077:
            raise LtiError(f"the tool's private key {key} is readable by others: chmod 600 {key}")
        return key.read_text()

    def public_jwk(self) -> dict:
        """The tool's public key as a JWK (``kid``, ``alg`` RS256, ``use`` sig): what the LMS registers."""
        from jwcrypto.jwk import JWK

        jwk = JWK.from_pem(self.private_key().encode())
        public = json.loads(jwk.export_public())
        public.update(kid=self.kid or jwk.thumbprint(), alg="RS256", use="sig")
        return public

    def key_id(self) -> str:
        """``kid`` of the tool's key: the configured one, else the key's RFC 7638 thumbprint."""
        return self.public_jwk()["kid"]


def config_path(workspace: course.Workspace) -> Path:
    return Path(os.environ.get("COURSE_LTI_CONFIG") or workspace.root / "lti.json")


def hub_username(issuer: str, sub: str) -> str:
    """The hub (and system) user name of an LTI user: stable, lower-case, a valid Unix name. ``sub`` is opaque and
    case-sensitive (JupyterHub lower-cases names), so the name is a digest of the issuer and ``sub``, never ``sub``
    itself: ``Ab`` and ``ab`` are two people."""
    digest = hashlib.sha256(f"{issuer}\n{sub}".encode()).digest()
    return "lti-" + base64.b32encode(digest).decode().lower().rstrip("=")[:16]


class _TimeoutSession(requests.Session):
    def __init__(self, timeout_s: float):
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(*args, **kwargs)


def _connector(platform: LtiPlatform):
    from pylti1p3.registration import Registration
    from pylti1p3.service_connector import ServiceConnector

    class Connector(ServiceConnector):
        """pylti1p3's connector with its token cache in memory: one token per scope set while it is valid."""

        tokens_requested = 0

        def __init__(self, registration, session):
            super().__init__(registration, session)
            self._cache: dict[str, tuple[str, float]] = {}

        def _get_cached_access_token(self, scope_key):
            token, until = self._cache.get(scope_key, ("", 0.0))
            return token if time.monotonic() < until else None

        def _cache_access_token(self, scope_key, access_token, expires_in):
            Connector.tokens_requested += 1
            self._cache[scope_key] = (access_token, time.monotonic() + max(0.0, float(expires_in or 0) - 30))

    class KeyedRegistration(Registration):
        def get_kid(self):
            return platform.key_id()

    registration = (KeyedRegistration().set_issuer(platform.issuer).set_client_id(platform.client_id)
                    .set_auth_token_url(platform.auth_token_url).set_tool_private_key(platform.private_key()))
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    if platform.key_set_url:
        registration.set_key_set_url(platform.key_set_url)
    return Connector(registration, _TimeoutSession(platform.timeout_s))


def _reason(exc: Exception) -> str:
    """One line: the platform's status and message, or the transport error."""
    response = getattr(exc, "response", None)
    if response is None and exc.args and isinstance(exc.args[-1], requests.Response):
        response = exc.args[-1]
    if isinstance(response, requests.Response):
        body = " ".join(response.text.split())[:160]
        return f"the platform answered {response.status_code} {response.reason}: {body}"
    if isinstance(exc, requests.Timeout):
        return "the platform did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "the platform could not be reached"
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


@dataclass
class PassbackReport:
    posted: list[tuple[str, str, float, str]] = field(default_factory=list)  # (assignment, student, points, progress)
    failed: list[str] = field(default_factory=list)  # one line each
    seconds: float = 0.0
    tokens: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


def passback(workspace: course.Workspace, platform: LtiPlatform,
             assignments: list[str] | None = None) -> PassbackReport:
    """Post the class's points (autograded + manual, less the late penalty) to the platform; see the module."""
    from pylti1p3.assignments_grades import AssignmentsGradesService
    from pylti1p3.grade import Grade
    from pylti1p3.lineitem import LineItem

    start = time.monotonic()
    report = PassbackReport()
    wanted = classbook.graded_assignments(workspace, assignments)
    if not wanted:
        raise LtiError(f"no graded assignment in {workspace.root}")
    students = classbook.students(workspace)
    connector = _connector(platform)
    ags = AssignmentsGradesService(connector, {"scope": list(AGS_SCOPES), "lineitems": platform.lineitems_url})
    for st in students:
        if not st.lms_user_id:
            report.failed.append(f"{st.id}: no LTI user id (lms_user_id): launch the hub from the LMS once, or run "
                                 "python -m autograder lti-roster")
    for a in wanted:
        maximum = sum(course.max_points(a))
        try:
            lineitem = ags.find_or_create_lineitem(LineItem().set_tag(a).set_label(a).set_score_maximum(maximum))
        except Exception as exc:  # noqa: BLE001 - the platform's refusal, reported per student below
            for st in students:
                if st.lms_user_id:
                    report.failed.append(f"{st.id} {a}: no line item ({_reason(exc)})")
            continue
        for sub in classbook.submissions(workspace, a):
            st = next(s for s in students if s.id == sub.student)
            if not st.lms_user_id:
                continue
            progress = "PendingManual" if sub.manual_pending else "FullyGraded"
            grade = (Grade().set_user_id(st.lms_user_id).set_score_given(sub.total).set_score_maximum(maximum)
                     .set_activity_progress("Completed" if sub.status != STATUS_ABSENT else "Initialized")
                     .set_grading_progress(progress)
                     .set_timestamp(dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")))
            if sub.status != STATUS_OK:
                grade.set_comment(sub.reason[:200])
            try:
                ags.put_grade(grade, lineitem)
                report.posted.append((a, st.id, sub.total, progress))
            except Exception as exc:  # noqa: BLE001
                report.failed.append(f"{st.id} {a}: {_reason(exc)}")
    report.seconds, report.tokens = round(time.monotonic() - start, 2), type(connector).tokens_requested
    return report


def roster(workspace: course.Workspace, platform: LtiPlatform) -> list[str]:
    """Add the platform's learners to the gradebook (id :func:`hub_username`, names, email, ``lms_user_id``);
    returns one line per student added or updated."""
    from pylti1p3.names_roles import NamesRolesProvisioningService

    if not platform.memberships_url:
        raise LtiError("lti.json has no memberships_url (the LMS's Names and Role Provisioning Service)")
    service = NamesRolesProvisioningService(_connector(platform), {
        "context_memberships_url": platform.memberships_url, "service_versions": ["2.0"]})
    try:
        members = service.get_members()
    except Exception as exc:  # noqa: BLE001
        raise LtiError(f"roster: {_reason(exc)}") from None
    lines = []
    with gradebook.open_gradebook(workspace.gradebook) as gb:
        for m in members:
            if LEARNER not in m.get("roles", []) and "Learner" not in m.get("roles", []):
                continue
            sid = hub_username(platform.issuer, m["user_id"])
            gb.update_or_create_student(sid, first_name=m.get("given_name", ""), last_name=m.get("family_name", ""),
                                        email=m.get("email", ""), lms_user_id=m["user_id"])
            lines.append(f"{sid}: {m.get('name', '')} ({m['user_id']})")
    return lines
