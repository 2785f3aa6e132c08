"""API v1: the NinjaAPI instance, its error answers and its URLs.

Every error is JSON ``{"detail": …, "code": …}`` (with ``errors`` for validation),
so a client never has to parse an HTML error page: 401 without valid credentials,
403 without the role, 404 for what does not exist or is outside the caller's scope
(the same answer for both), 422 for invalid input, 429 when throttled.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from training.api import certificates, people, programmes, records, reports, units
from training.api.auth import AUTH

api = NinjaAPI(
    title="检察教育培训平台 API",
    version="1",
    description="Read access to the training records of a unit subtree, external "
    "training records for integrations, and public certificate verification. "
    "Authentication: the site's session (browser) or `Authorization: Bearer <key>` "
    "(integrations). See docs/api.md.",
    urls_namespace="api-v1",
    auth=AUTH,
)


def _error(request, status: int, code: str, detail: str, errors=None, headers=None):
    body = {"detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return _error(
        request,
        401,
        "not_authenticated",
        _("Sign in, or send a valid API token as “Authorization: Bearer <key>”."),
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled):
    return _error(request, 429, "throttled", _("Too many requests. Try again later."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    codes = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
    return _error(
        request, exc.status_code, codes.get(exc.status_code, "error"), str(exc)
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied):
    return _error(
        request,
        403,
        "permission_denied",
        str(exc) or _("You do not have permission to do this."),
    )


@api.exception_handler(Http404)
@api.exception_handler(ObjectDoesNotExist)
def _not_found(request: HttpRequest, exc: Exception):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(NinjaValidationError)
def _invalid_request(request: HttpRequest, exc: NinjaValidationError):
    errors = [
        {key: value for key, value in error.items() if key in ("type", "loc", "msg")}
        for error in exc.errors
    ]
    return _error(request, 422, "invalid", _("The request is not valid."), errors)


@api.exception_handler(DjangoValidationError)
def _invalid_data(request: HttpRequest, exc: DjangoValidationError):
    errors = (
        exc.message_dict
        if hasattr(exc, "error_dict")
        else {"__all__": list(exc.messages)}
    )
    return _error(request, 422, "invalid", _("The data is not valid."), errors)


for module in (units, people, programmes, records, certificates, reports):
    api.add_router("", module.router)

# include("training.api.urls") in cms/urls.py; reverse("api-v1:…").
# The namespace doubles as the app name so include() registers it.
urlpatterns, _app, app_name = api.urls
