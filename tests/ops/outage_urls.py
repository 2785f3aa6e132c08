"""Views that fail the way a restarting PostgreSQL makes real views fail, for
tests/ops/test_database_outage.py (the real URLs are included after them)."""

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.urls import include, path


def operational(request):
    raise OperationalError("server closed the connection unexpectedly")


def interface(request):
    raise InterfaceError("connection already closed")


def other(request):
    raise ValueError("a bug, not an outage")


def session_write(request):
    # The session is written by SessionMiddleware after the view: a failure there
    # happens outside the view, where process_exception never sees it.
    request.session["touched"] = True
    return HttpResponse("ok")


urlpatterns = [
    path("outage/operational", operational),
    path("outage/interface", interface),
    path("outage/other", other),
    path("outage/session", session_write),
    path("", include("cms.urls")),
]
