"""What every endpoint shares: pagination, the documented error responses, and
scoped lookups that answer 404 for an id outside the caller's scope exactly as for
an id that does not exist."""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Path, Schema
from ninja.pagination import LimitOffsetPagination

from training.api.schemas import MAX_ID, ErrorOut
from training.org import selectors
from training.org.models import OrgUnit, Person

MAX_LIMIT = 200
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

# Error responses documented on every operation (the body is always ErrorOut).
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def responses(ok, *extra: int) -> dict:
    return {200: ok, **ERRORS, **dict.fromkeys(extra, ErrorOut)}


class Pagination(LimitOffsetPagination):
    """``?limit=`` (1–200, default 50) and ``?offset=``; the answer carries
    ``count`` and ``items``."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_ID)

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


def person_or_404(who, person_id: int, *, manage: bool = False) -> Person:
    try:
        return selectors.person_get(user=who, person_id=person_id, manage=manage)
    except PermissionDenied:
        raise Http404 from None


def unit_or_404(who, unit_id: int) -> OrgUnit:
    selectors.require_view_role(who)
    unit = selectors.units_visible_to(who).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit
