"""LTI 1.3 launches into the course's hub: ``jupyterhub-ltiauthenticator``'s ``LTI13Authenticator`` with the
course's mapping from the launch to a hub user.

- **Name**: :func:`autograder.deploy.lti.hub_username` of the issuer and ``sub`` (``sub`` is opaque and
  case-sensitive while JupyterHub lower-cases names: ``Ab`` and ``ab`` stay two people); the same name
  ``lti-roster`` gives a learner in the gradebook, so grades find their way back.
- **Groups from the launch's roles**: ``Instructor`` (or ``Administrator``) of the context joins ``formgrade-<course>``
  and ``nbgrader-<course>``; anyone else (``Learner``) ``nbgrader-<course>`` only. JupyterHub manages the groups
  (``manage_groups``), so a role changed in the LMS changes at the next launch.
- ``auth_state`` keeps the launch's claims (``sub``, the AGS line-items URL, the NRPS URL) for the passback.
"""

from __future__ import annotations

from ltiauthenticator.lti13.auth import LTI13Authenticator
from traitlets import Unicode

from .lti import hub_username

ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
TEACHING = ("membership#Instructor", "membership#Administrator", "institution/person#Administrator")


class CourseLTI13Authenticator(LTI13Authenticator):
    course_id = Unicode(config=True, help="nbgrader's course id: the groups are formgrade-ID and nbgrader-ID")

    async def authenticate(self, handler, data=None):
        data = data or {}
        model = await super().authenticate(handler, data)
        teaching = any(str(role).endswith(TEACHING) for role in data.get(ROLES, []))
        groups = [f"nbgrader-{self.course_id}"] + ([f"formgrade-{self.course_id}"] if teaching else [])
        return {**model, "name": hub_username(data["iss"], data["sub"]), "groups": groups}
