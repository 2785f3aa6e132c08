"""Revocation offers after reversed credit: the list, and revoke or keep."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from training.certificates import services as svc
from training.certificates.forms import ReviewDecisionForm
from training.certificates.selectors import reviews_open_for
from training.certificates.views.common import _may_manage
from training.org import selectors
from training.org.forms import add_service_errors

REVIEW_PAGE_SIZE = 50


# --- revocation offers ------------------------------------------------------------


def _open_reviews(user):
    return reviews_open_for(user).select_related(
        "certificate__training_class__organiser_unit",
        "certificate__programme",
        "reversal__created_by",
    )


def _render_reviews(request, *, failed=None, failed_form=None, status=200):
    user = request.user
    page = Paginator(_open_reviews(user), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = []
    for review in page.object_list:
        is_failed = failed is not None and review.pk == failed.pk
        rows.append(
            {
                "review": review,
                "may_decide": _may_manage(user, review.certificate),
                "form": failed_form if is_failed else ReviewDecisionForm(),
            }
        )
    return render(
        request,
        "training/certificates/certificate_reviews.html",
        {"page": page, "rows": rows},
        status=status,
    )


@login_required
@require_GET
def certificate_reviews(request):
    selectors.require_view_role(request.user)
    return _render_reviews(request)


@login_required
@require_POST
def certificate_review_decide(request, pk: int):
    selectors.require_view_role(request.user)
    review = _open_reviews(request.user).filter(pk=pk).first()
    if review is None:
        raise Http404
    action = request.POST.get("action")
    if action not in {"revoke", "keep"}:
        return HttpResponseBadRequest()
    form = ReviewDecisionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            svc.certificate_review_decide(
                review=review,
                actor=request.user,
                revoke=action == "revoke",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            form.add_error(None, _("You may not decide this offer."))
            status = 403
        else:
            if action == "revoke":
                messages.success(
                    request,
                    _("Certificate %(number)s was revoked.")
                    % {"number": review.certificate.number},
                )
            else:
                messages.success(
                    request,
                    _("Certificate %(number)s stays valid.")
                    % {"number": review.certificate.number},
                )
            return redirect("training:certificate_reviews")
    return _render_reviews(request, failed=review, failed_form=form, status=status)
