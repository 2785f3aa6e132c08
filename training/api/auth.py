"""Who is calling: a browser session or an integration's bearer token.

A token acts as a principal the scope selectors already understand: the selectors
memoise ``(role, unit path)`` grants on the user object (``_training_grants``), so a
token reads like a leader of its unit and, with ``can_write``, records external
training like a coordinator of it. It never holds any other right.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from training.api.models import ApiToken
from training.api.tokens import api_token_authenticate
from training.org.models import RoleGrant
from training.org.selectors import require_manage_role, require_view_role

Role = RoleGrant.Role


class TokenPrincipal:
    """An integration's identity for one request (not a user account)."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    is_active = True
    pk = None
    id = None

    def __init__(self, token: ApiToken):
        self.token = token
        grants = [(Role.LEADER.value, token.unit.path)]
        if token.can_write:
            grants.append((Role.COORDINATOR.value, token.unit.path))
        self._training_grants = grants

    def get_username(self) -> str:
        return f"api:{self.token.prefix}"

    def __str__(self) -> str:
        return str(self.token)


class BearerAuth(HttpBearer):
    """``Authorization: Bearer jcpx_…``. A key that is sent but unknown, revoked or
    expired is refused outright (401), never passed on to the session check."""

    def authenticate(self, request: HttpRequest, token: str) -> TokenPrincipal:
        found = api_token_authenticate(token.strip())
        if found is None:
            raise AuthenticationError(401, "Invalid, revoked or expired token.")
        return TokenPrincipal(found)


class BrowserSession(SessionAuth):
    """The signed-in user of the site; unsafe methods need the CSRF token, as for
    any form of the site."""


AUTH = [BearerAuth(), BrowserSession()]


def principal(request: HttpRequest):
    return request.auth


def require_view(request: HttpRequest):
    """Lists and other people's data: a coordinator, leader or admin role (a token
    always has one). Learners may read only their own record."""
    who = principal(request)
    require_view_role(who)
    return who


def write_actor(request: HttpRequest):
    """The account a write is recorded under.

    A session coordinator writes as themselves. A token with ``can_write`` writes as
    the admin who created it (records need a real account as their submitter),
    limited to the token's scope: that copy of the account holds only the token's
    grants and no superuser flag, and is never saved.
    """
    who = principal(request)
    if not isinstance(who, TokenPrincipal):
        require_manage_role(who)
        return who
    token = who.token
    if not token.can_write:
        raise PermissionDenied(_("This token may only read."))
    owner = (
        get_user_model().objects.filter(pk=token.created_by_id, is_active=True).first()
    )
    if owner is None:
        raise PermissionDenied(
            _("This token has no active owner to record writes under.")
        )
    owner.is_superuser = False
    owner._training_grants = list(who._training_grants)
    return owner
