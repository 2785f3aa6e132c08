"""API tokens in the Wagtail admin (/admin/api-tokens/), for superusers and
holders of the admin role (within their subtree): list, create (the key is shown
once, on the page after), revoke with a reason."""

from __future__ import annotations

import datetime as dt
from functools import reduce, wraps
from operator import or_

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django.views.defaults import permission_denied

from training.api.models import ApiToken
from training.api.tokens import (
    api_token_admin_paths,
    api_token_create,
    api_token_revoke,
    api_token_status,
)
from training.org.forms import UnitChoiceField, add_service_errors
from training.org.models import OrgUnit

_SESSION_KEY = "training_api_token_shown_once"


def _admin_only(view):
    """Superusers and admin-role holders; the view gets their subtrees (``None``:
    no limit). Others get a plain 403: Wagtail would turn PermissionDenied into a
    redirect to the dashboard, which hides the refusal from API-minded callers."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        paths = api_token_admin_paths(request.user)
        if paths is not None and not paths:
            return permission_denied(request, PermissionDenied())
        return view(request, paths, *args, **kwargs)

    return wrapped


def _under(paths: list[str] | None, field: str) -> Q:
    """Everything under the admin's subtrees (no limit for ``None``)."""
    if paths is None:
        return Q()
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def _units(paths: list[str] | None):
    return OrgUnit.objects.filter(_under(paths, "path"), is_active=True).order_by(
        "path"
    )


def _tokens(paths: list[str] | None):
    return ApiToken.objects.select_related("unit", "created_by", "revoked_by").filter(
        _under(paths, "unit__path")
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Integration"),
        max_length=100,
        help_text=gettext_lazy("Which system uses the token, e.g. 人事系统."),
    )
    unit = UnitChoiceField(
        label=gettext_lazy("Scope (unit and its subtree)"),
        queryset=OrgUnit.objects.none(),
    )
    can_write = forms.BooleanField(
        label=gettext_lazy("May record external training"),
        required=False,
        help_text=gettext_lazy("Without this the token only reads."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Optional. The token stops working after this day."),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose a day from today on."))
        return day

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the token revoked?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _render(request, template: str, title: str, context: dict):
    return TemplateResponse(
        request,
        template,
        {"page_title": title, "header_title": title, "header_icon": "key", **context},
    )


@require_GET
@_admin_only
def api_token_list(request, paths):
    now = timezone.now()
    tokens = [
        {"token": token, "status": api_token_status(token, now)}
        for token in _tokens(paths)
    ]
    return _render(
        request,
        "training/api_tokens/list.html",
        _("API tokens"),
        {"tokens": tokens},
    )


@require_http_methods(["GET", "POST"])
@_admin_only
def api_token_new(request, paths):
    units = _units(paths)
    form = ApiTokenForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, key = api_token_create(
                name=data["name"],
                unit=data["unit"],
                can_write=data["can_write"],
                actor=request.user,
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Shown once on the next page, then gone from the session too.
            request.session[_SESSION_KEY] = {"id": token.pk, "key": key}
            return redirect("training_api_tokens:created", pk=token.pk)
    return _render(
        request,
        "training/api_tokens/form.html",
        _("New API token"),
        {"form": form},
    )


@require_GET
@_admin_only
def api_token_created(request, paths, pk: int):
    token = get_object_or_404(_tokens(paths), pk=pk)
    shown = request.session.pop(_SESSION_KEY, None)
    key = shown["key"] if shown and shown.get("id") == token.pk else None
    if key is None:
        messages.warning(
            request, _("The key was shown once and cannot be displayed again.")
        )
        return redirect("training_api_tokens:list")
    response = _render(
        request,
        "training/api_tokens/created.html",
        _("API token created"),
        {"token": token, "key": key},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@_admin_only
def api_token_revoke_view(request, paths, pk: int):
    token = get_object_or_404(_tokens(paths), pk=pk)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api_token_revoke(
                token=token, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The token “%(name)s” was revoked.") % {"name": token.name}
            )
            return redirect("training_api_tokens:list")
    return _render(
        request,
        "training/api_tokens/revoke.html",
        _("Revoke API token"),
        {"token": token, "form": form},
    )
