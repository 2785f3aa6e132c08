"""Bulk issue: start a batch for a class or a programme, and its progress page,
the JSON the page polls, and resuming a batch whose worker stopped.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from training.certificates import services as svc
from training.certificates.models import CertificateBatch
from training.classes.selectors import class_get_managed
from training.org import selectors
from training.programmes.selectors import programme_get

BATCH_CERTIFICATES_SHOWN = 200


# --- bulk issue ----------------------------------------------------------------------


@login_required
@require_POST
def certificate_batch_new(request):
    user = request.user
    class_id = request.POST.get("class", "")
    programme_id = request.POST.get("programme", "")
    if class_id.isdigit():
        training_class = class_get_managed(user=user, pk=int(class_id))
        subject = {"training_class": training_class}
        back = reverse("training:class_detail", args=[training_class.pk])
    elif programme_id.isdigit():
        selectors.require_manage_role(user)
        programme = programme_get(user, int(programme_id))
        subject = {"programme": programme}
        back = reverse("training:programme_detail", args=[programme.pk])
    else:
        return HttpResponseBadRequest()
    try:
        batch = svc.certificate_batch_create(actor=user, **subject)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(
        request,
        ngettext(
            "A certificate batch for %(count)d person was started.",
            "A certificate batch for %(count)d people was started.",
            batch.total,
        )
        % {"count": batch.total},
    )
    return redirect("training:certificate_batch_detail", pk=batch.pk)


def _batch_for(user, pk: int) -> CertificateBatch:
    """The requester's batch, or one in the user's manage scope; else 404."""
    batch = (
        CertificateBatch.objects.select_related(
            "programme", "training_class", "unit", "requested_by"
        )
        .filter(pk=pk)
        .first()
    )
    if batch is None:
        raise Http404
    if batch.requested_by_id == user.pk:
        return batch
    if selectors.user_has_role(
        user, *selectors.MANAGE_ROLES
    ) and selectors.unit_in_scope(user, batch.unit, manage=True):
        return batch
    raise Http404


_FINISHED = {CertificateBatch.Status.DONE, CertificateBatch.Status.FAILED}


def _batch_resumable(batch: CertificateBatch) -> bool:
    if batch.status == CertificateBatch.Status.FAILED:
        return True
    if batch.status == CertificateBatch.Status.DONE:
        return False
    last_seen = batch.heartbeat_at or batch.created_at
    return timezone.now() - last_seen > svc.BATCH_STALE_AFTER


def _batch_issued(batch: CertificateBatch) -> int:
    # The run writes ``issued`` when it ends; count while it is still going.
    if batch.status == CertificateBatch.Status.DONE:
        return batch.issued
    return batch.certificates.count()


@login_required
@require_GET
def certificate_batch_detail(request, pk: int):
    batch = _batch_for(request.user, pk)
    finished = batch.status in _FINISHED
    certificates = []
    if batch.status == CertificateBatch.Status.DONE:
        certificates = list(
            batch.certificates.select_related("person__user", "person__unit").order_by(
                "person__unit__path", "person__employee_no"
            )[:BATCH_CERTIFICATES_SHOWN]
        )
    return render(
        request,
        "training/certificates/certificate_batch_detail.html",
        {
            "batch": batch,
            "finished": finished,
            "issued": _batch_issued(batch),
            "resumable": _batch_resumable(batch),
            "certificates": certificates,
            "more_certificates": max(batch.issued - len(certificates), 0),
            "status_url": reverse("training:certificate_batch_status", args=[batch.pk]),
        },
    )


@login_required
@require_GET
def certificate_batch_status(request, pk: int):
    batch = _batch_for(request.user, pk)
    return JsonResponse(
        {
            "status": batch.status,
            "status_display": batch.get_status_display(),
            "finished": batch.status in _FINISHED,
            "total": batch.total,
            "processed": batch.processed,
            "issued": _batch_issued(batch),
            "skipped": batch.skipped,
            "errors": len(batch.errors),
            "percent": batch.percent,
        }
    )


@login_required
@require_POST
def certificate_batch_resume(request, pk: int):
    batch = _batch_for(request.user, pk)
    try:
        svc.certificate_batch_resume(batch=batch, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The batch was started again."))
    return redirect("training:certificate_batch_detail", pk=batch.pk)
