"""An LTI 1.3 platform (an LMS's LTI side) for the tests: ``lti1p3platform``'s protocol code (token endpoint,
Assignment and Grade Services, Names and Role Provisioning Services) with in-memory storage, served by tornado on a
loopback port in a thread.

The glue enforces what the LTI 1.3 and IMS Security Framework specifications require of a platform where the
library is lenient (it decodes the tool's client assertion with ``verify_aud`` off and accepts any score):

- client assertion (RFC 7523): signed by the registered tool key (``kid`` and ``RS256``); ``iss`` and ``sub`` equal
  the client id; ``aud`` is the token endpoint; ``exp`` in the future and ``iat`` not in it; ``jti`` used once;
- scopes: only those registered for the tool are granted, and each service checks the bearer token's scopes;
- bearer tokens: the platform's signature, its issuer, not expired;
- scores: ``userId`` a member of the context, ``timestamp``, ``activityProgress`` and ``gradingProgress`` present,
  ``scoreGiven`` between 0 and ``scoreMaximum``; a timestamp older than the result's last one is refused (409).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.exceptions import LineItemNotFoundException, LtiServiceException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score",
          "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class _Request(Request):
    def build_metadata(self, handler):
        body = handler.request.body
        content_type = handler.request.headers.get("Content-Type", "")
        return {"method": handler.request.method, "headers": dict(handler.request.headers),
                "content_type": content_type, "path": handler.request.path,
                "form_data": {k: v[0].decode() for k, v in handler.request.body_arguments.items()},
                "get_data": {k: (int(v[0]) if k in ("page", "limit") else v[0].decode())
                             for k, v in handler.request.query_arguments.items()},
                "json": json.loads(body) if body and "json" in content_type else None}


@dataclass
class Store:
    lineitems: dict[str, dict] = field(default_factory=dict)
    results: dict[tuple[str, str], dict] = field(default_factory=dict)  # (lineitem id, user) -> last score
    members: list[dict] = field(default_factory=list)
    used_jti: set[str] = field(default_factory=set)
    token_requests: int = 0
    service_requests: int = 0
    fail_next: list[tuple[int, str]] = field(default_factory=list)  # (status, message) for the next requests
    delay_s: float = 0.0


class Platform:
    """The platform: its URLs, its registration of the tool, its storage; ``start()`` serves it on ``port``."""

    redirect_uri = target_link_uri = ""  # the hub's LTI 1.3 callback and launch URL, once known

    def __init__(self, port: int, tool_public_key: str, tool_kid: str = "tool-1", client_id: str = "kit-tool"):
        self.url = f"http://127.0.0.1:{port}"
        self.port, self.issuer, self.client_id = port, f"http://127.0.0.1:{port}", client_id
        self.token_url, self.lineitems_url = f"{self.url}/token", f"{self.url}/courses/1/lineitems"
        self.memberships_url = f"{self.url}/courses/1/memberships"
        self.authorize_url, self.jwks_url = f"{self.url}/authorize", f"{self.url}/jwks"
        private, public = rsa_pair()
        self.platform_jwk = {**Registration.get_jwk(public), "kid": "platform-1", "alg": "RS256", "use": "sig"}
        jwk = Registration.get_jwk(tool_public_key)
        jwk.update(kid=tool_kid, alg="RS256", use="sig")
        self.registration = (Registration().set_iss(self.issuer).set_client_id(client_id)
                             .set_deployment_id("1").set_platform_private_key(private)
                             .set_platform_public_key(public).set_tool_key_set({"keys": [jwk]}))
        self.store = Store()
        self.launch_users: dict[str, list[str]] = {}  # login_hint (the user's sub) -> LTI roles
        self._loop = None

    def id_token(self, sub: str, nonce: str, roles: list[str]) -> str:
        """The launch's ID token (LTI 1.3 core, 5.1 and 5.3), signed with the platform's key."""
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.client_id, "sub": sub, "iat": now, "exp": now + 300, "nonce": nonce,
            "azp": self.client_id, "name": sub,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "1",
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": self.target_link_uri,
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "notebook-01"},
            "https://purl.imsglobal.org/spec/lti/claim/roles": roles,
            "https://purl.imsglobal.org/spec/lti/claim/context": {"id": "1", "label": "DL", "title": "Deep learning"},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {"scope": SCOPES[:4],
                                                                       "lineitems": self.lineitems_url},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.memberships_url, "service_versions": ["2.0"]},
        }
        return jwt.encode(claims, self.registration.get_platform_private_key(), algorithm="RS256",
                          headers={"kid": "platform-1"})

    # -- the three services, each on lti1p3platform's classes -------------------------------------
    def conf(self) -> "PlatformConf":
        return PlatformConf(platform=self)

    def start(self) -> "Platform":
        import tornado.web

        platform = self

        class Base(tornado.web.RequestHandler):
            def check_xsrf_cookie(self):
                pass

            def reply(self, response):
                """As lti1p3platform's Django adapter answers: a page's content with a Link header to the next."""
                self.set_status(response.code)
                self.set_header("Content-Type", response.media_type)
                if not 200 <= response.code < 300:
                    self.finish(json.dumps({"error": response.message}))
                    return
                data = response.result
                if isinstance(data, dict) and "content" in data:
                    if data.get("next"):
                        self.set_header("Link", generate_next_link(data["next"]))
                    data = data["content"]
                self.finish(json.dumps(data, default=str) if data is not None else "")

            async def prepare(self):
                if platform.store.delay_s:
                    await asyncio.sleep(platform.store.delay_s)
                if platform.store.fail_next:
                    status, message = platform.store.fail_next.pop(0)
                    self.set_status(status)
                    self.finish(json.dumps({"error": message}))

        class Token(Base):
            def post(self):
                platform.store.token_requests += 1
                form = {k: v[0].decode() for k, v in self.request.body_arguments.items()}
                try:
                    self.finish(platform.conf().get_access_token(form))
                except Exception as exc:  # noqa: BLE001 - RFC 6749 5.2
                    self.set_status(401 if "assertion" in str(exc).lower() or isinstance(exc, jwt.PyJWTError)
                                    else 400)
                    self.finish({"error": "invalid_client", "error_description": str(exc)})

        def call(service, method, **kw):
            return service.handle_resp(getattr(service, method), **kw)

        class LineItems(Base):
            def get(self):
                platform.store.service_requests += 1
                self.reply(call(platform.ags(self), "handle_get_lineitems"))

            def post(self):
                platform.store.service_requests += 1
                self.reply(call(platform.ags(self), "handle_create_lineitem"))

        class LineItem(Base):
            def get(self, item):
                self.reply(call(platform.ags(self), "handle_get_lineitem", line_item_id=item))

        class Scores(Base):
            def post(self, item):
                platform.store.service_requests += 1
                self.reply(call(platform.ags(self), "handle_update_score", line_item_id=item))

        class Results(Base):
            def get(self, item):
                self.reply(call(platform.ags(self), "handle_get_results", line_item_id=item))

        class Members(Base):
            def get(self):
                self.reply(call(platform.nrps(self), "handle_get_members"))

        class Jwks(Base):
            def get(self):
                self.finish({"keys": [platform.platform_jwk]})

        class Authorize(Base):
            """The OIDC authorization endpoint (LTI 1.3 / IMS Security Framework 5.1.1.2): checks the tool's request
            and answers with a form that posts the ID token to the registered redirect URI."""

            def get(self):
                args = {k: v[0].decode() for k, v in self.request.query_arguments.items()}
                if args.get("client_id") != platform.client_id or args.get("redirect_uri") != platform.redirect_uri \
                        or args.get("response_type") != "id_token" or args.get("scope") != "openid" \
                        or args.get("login_hint") not in platform.launch_users or not args.get("nonce"):
                    self.set_status(400)
                    self.finish({"error": "invalid_request", "got": args})
                    return
                token = platform.id_token(args["login_hint"], args["nonce"], platform.launch_users[args["login_hint"]])
                self.finish(f"<form method=post action='{args['redirect_uri']}'>"
                            f"<input name=id_token value='{token}'><input name=state value='{args['state']}'></form>")

        app = tornado.web.Application([
            (r"/jwks", Jwks), (r"/authorize", Authorize),
            (r"/token", Token), (r"/courses/1/lineitems", LineItems), (r"/courses/1/lineitems/([^/]+)", LineItem),
            (r"/courses/1/lineitems/([^/]+)/scores", Scores), (r"/courses/1/lineitems/([^/]+)/results", Results),
            (r"/courses/1/memberships", Members)])
        ready = threading.Event()

        def serve():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app.listen(self.port, address="127.0.0.1")
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def ags(self, handler) -> "Grades":
        return Grades(_Request(handler), self.conf(), self.lineitems_url, platform=self)

    def nrps(self, handler) -> "Roster":
        return Roster(_Request(handler), self.conf(), self.memberships_url, platform=self)

    def result(self, tag: str, user: str) -> dict | None:
        item = next((i for i in self.store.lineitems.values() if i.get("tag") == tag), None)
        return self.store.results.get((item["id"].rsplit("/", 1)[1], user)) if item else None


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, platform: Platform) -> None:
        self.platform = platform
        self._registration = platform.registration

    def get_registration_by_params(self, **kwargs):
        return self._registration

    def tool_validate_and_decode(self, jwt_token_string: str) -> dict:
        """The client assertion, checked as RFC 7523 and the IMS Security Framework (4.1.1) require."""
        self.validate_jwt_format(jwt_token_string)
        claims = jwt.decode(jwt_token_string, self.get_tool_public_key(), algorithms=["RS256"],
                            audience=self.platform.token_url, options={"require": ["iss", "sub", "aud", "exp",
                                                                                     "iat", "jti"]})
        if claims["iss"] != self.platform.client_id or claims["sub"] != self.platform.client_id:
            raise jwt.InvalidIssuerError("client assertion: iss and sub must be the client id")
        if claims["iat"] > time.time() + 60:
            raise jwt.ImmatureSignatureError("client assertion issued in the future")
        if claims["jti"] in self.platform.store.used_jti:
            raise jwt.InvalidTokenError("client assertion replayed (jti seen before)")
        self.platform.store.used_jti.add(claims["jti"])
        return claims

    def get_access_token(self, token_request_data):
        granted = [s for s in token_request_data.get("scope", "").split() if s in SCOPES]
        token = super().get_access_token({**token_request_data, "scope": " ".join(granted)})
        return token


class Grades(AssignmentsGradesService):
    def __init__(self, request, conf, lineitems_url, platform: Platform):
        super().__init__(request, conf, lineitems_url)
        self.platform = platform

    def find_lineitems(self, page=1, limit=None, line_item_id=None, resource_link_id=None, resource_id=None,
                       tag=None):
        items = [i for i in self.platform.store.lineitems.values() if tag is None or i.get("tag") == tag]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id):
        if line_item_id not in self.platform.store.lineitems:
            raise LineItemNotFoundException()
        return self.platform.store.lineitems[line_item_id]

    def create_lineitem(self, creation_data):
        if not isinstance(creation_data, dict) or not creation_data.get("label") or \
                not isinstance(creation_data.get("scoreMaximum"), (int, float)) or creation_data["scoreMaximum"] <= 0:
            raise LtiServiceException("a line item needs a label and a positive scoreMaximum", 400)
        item_id = uuid.uuid4().hex[:12]
        item = {**creation_data, "id": f"{self.platform.lineitems_url}/{item_id}"}
        self.platform.store.lineitems[item_id] = item
        return item

    def update_lineitem(self, update_data):
        raise NotImplementedError

    def delete_lineitem(self, line_item_id):
        raise NotImplementedError

    def update_score(self, line_item_id, score):
        item = self.find_lineitem(line_item_id)
        members = {m["user_id"] for m in self.platform.store.members}
        missing = [k for k in ("userId", "timestamp", "activityProgress", "gradingProgress") if k not in score]
        if missing:
            raise LtiServiceException(f"score without {', '.join(missing)}", 400)
        if score["userId"] not in members:
            raise LtiServiceException(f"user {score['userId']} is not a member of this context", 400)
        given = score.get("scoreGiven")
        if given is not None and not 0 <= given <= score.get("scoreMaximum", item["scoreMaximum"]):
            raise LtiServiceException("scoreGiven outside [0, scoreMaximum]", 400)
        key = (line_item_id, score["userId"])
        last = self.platform.store.results.get(key)
        stamp = dt.datetime.fromisoformat(score["timestamp"].replace("Z", "+00:00"))
        if last is not None and stamp < dt.datetime.fromisoformat(last["timestamp"].replace("Z", "+00:00")):
            return UpdateScoreStatus.OLD_TIMESTAMP
        self.platform.store.results[key] = score
        return UpdateScoreStatus.SUCCESS if last else UpdateScoreStatus.CREATED

    def get_results(self, line_item_id, page=1, limit=None, user_id=None):
        self.find_lineitem(line_item_id)
        content = [{"userId": u, "resultScore": s.get("scoreGiven"), "resultMaximum": s.get("scoreMaximum"),
                    "scoreOf": self.platform.store.lineitems[line_item_id]["id"]}
                   for (item, u), s in self.platform.store.results.items()
                   if item == line_item_id and (user_id is None or u == user_id)]
        return {"content": content, "has_next": False, "next": None}


class Roster(NamesRoleProvisioningService):
    def __init__(self, request, conf, url, platform: Platform):
        super().__init__(request, conf, url)
        self.platform = platform

    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **_):
        return {"content": [dict(m) for m in self.platform.store.members], "has_next": False, "next": None}

    def get_context_by_id(self):
        return Context(id="1", label="DL", title="Deep learning")
