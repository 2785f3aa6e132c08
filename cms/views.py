import logging
import uuid

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cms import search as site_search

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness for load balancers: database and cache must answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:
        logger.exception("health check: database")
        checks["database"] = "error"
    try:
        key = f"healthz:{uuid.uuid4().hex}"
        cache.set(key, "1", 5)
        checks["cache"] = "ok" if cache.get(key) == "1" else "error"
        cache.delete(key)
    except Exception:
        logger.exception("health check: cache")
        checks["cache"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


SEARCH_PAGE_SIZE = 10


@login_required
@require_GET
def search(request):
    """``/search/?q=``: substring search over every live, public page (cms.search)."""
    query = request.GET.get("q", "").strip()[: site_search.MAX_QUERY_LENGTH]
    kind = request.GET.get("kind", "")
    terms = site_search.search_terms(query)
    kinds = site_search.search_kind_counts(query=query) if terms else []
    if kind not in {k for k, _label, _n in kinds}:
        kind = ""
    entries = site_search.search_entries(query=query, kind=kind)
    page = Paginator(entries, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    kind_query = request.GET.copy()
    for key in ("page", "kind"):
        kind_query.pop(key, None)
    return render(
        request,
        "cms/search.html",
        {
            "query": query,
            "terms": terms,
            "kind": kind,
            "kinds": kinds,
            "total": sum(n for _kind, _label, n in kinds),
            "page": page,
            "hits": site_search.search_hits(page.object_list, terms),
            "querystring": querystring.urlencode(),
            "kind_querystring": kind_query.urlencode(),
        },
    )


API_PREFIX = "/api/"


def page_not_found(request, exception):
    """A URL nothing answers: the site's 404 page, but under ``/api/`` the API's
    JSON error (``{"detail", "code"}``, as training.api answers), so a client never
    has to parse HTML — also for a path no route matches, such as an id with a
    newline in it."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": _("Not found."), "code": "not_found"}, status=404
        )
    return defaults.page_not_found(request, exception)
