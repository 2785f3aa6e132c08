"""The signed-in user's own notifications (``/notifications/``). Nobody sees another
user's: every query is filtered by ``request.user``, so a foreign id is a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from training.notifications.models import Notification


def _own(request):
    return Notification.objects.filter(user=request.user)


@login_required
@require_GET
def notification_list(request):
    notes = _own(request).order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-id"
    )
    page = Paginator(notes, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "training/notifications/notification_list.html",
        {"page": page, "unread": _own(request).filter(read_at__isnull=True).count()},
    )


def _safe_url(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@login_required
@require_POST
def notification_read(request, pk: int):
    note = get_object_or_404(_own(request), pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return redirect(_safe_url(request, note.url) or "training:notification_list")


@login_required
@require_POST
def notification_read_all(request):
    _own(request).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("training:notification_list")


@login_required
@require_GET
def notification_unread_count(request):
    count = _own(request).filter(read_at__isnull=True).count()
    return JsonResponse({"unread": count})
