"""A database outage (PostgreSQL restarting, a failover, too many connections)
answers 503 with ``Retry-After`` instead of a 500 page.

A 503 tells the exam page's autosave and submit to keep the answers and try again,
and tells a reverse proxy or a monitor the outage is temporary. The answer is built
without the database and without the site templates (they read menus and settings
from it): JSON ``{"error": "database_unavailable", ...}`` for requests that expect
JSON, a short page otherwise.

Errors raised by a view reach ``process_exception``. Errors raised in a middleware
further in (the session or the user loaded for the MFA check) never do: Django turns
them into a 500 response on the spot. The ``got_request_exception`` signal marks
those requests, and ``__call__`` swaps their 500 for the same 503.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
_MARK = "_database_outage"


def _mark_outage(sender, request=None, **kwargs) -> None:
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OUTAGE_ERRORS):
        setattr(request, _MARK, True)


def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "")
        or request.content_type == "application/json"
        or request.path.startswith("/api/")
    )


def outage_response(request: HttpRequest) -> HttpResponse:
    language = getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        message = _(
            "The service is briefly unavailable. Nothing you saved is lost; "
            "please try again in a few seconds."
        )
        if _wants_json(request):
            response = JsonResponse(
                {"error": "database_unavailable", "message": message}, status=503
            )
        else:
            title = _("Service briefly unavailable")
            response = HttpResponse(
                f'<!doctype html><html lang="{escape(language)}"><head>'
                f'<meta charset="utf-8"><title>{escape(title)}</title>'
                f'<meta http-equiv="refresh" content="{RETRY_AFTER_SECONDS * 2}">'
                f"</head><body><h1>{escape(title)}</h1><p>{escape(message)}</p>"
                "</body></html>",
                status=503,
                content_type="text/html; charset=utf-8",
            )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(
            _mark_outage, dispatch_uid="cms.middleware.database_outage"
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return outage_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, OUTAGE_ERRORS):
            logger.warning(
                "database unavailable during %s %s: %s",
                request.method,
                request.path,
                exception,
            )
            return outage_response(request)
        return None
