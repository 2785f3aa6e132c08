"""People of the caller's subtree and each person's compliance, 学时 ledger,
enrolments and assignments. A learner's session reads only their own record."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from training.api import queries
from training.api.auth import principal, require_view
from training.api.common import (
    Pagination,
    PathId,
    person_or_404,
    responses,
    unit_or_404,
)
from training.api.schemas import (
    MAX_ID,
    NO_NUL,
    AssignmentOut,
    EnrolmentOut,
    LedgerEntryOut,
    PersonComplianceOut,
    PersonDetailOut,
    PersonOut,
)
from training.ledger.models import LedgerEntry
from training.org import selectors
from training.org.models import Person

router = Router(tags=["people"])


class PeopleFilters(Schema):
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    category: Person.Category | None = None
    active: bool | None = None
    q: str = Field("", max_length=100, pattern=NO_NUL)


@router.get("/people", response=responses(list[PersonOut]), summary="List people")
@paginate(Pagination)
def person_list(request: HttpRequest, filters: Query[PeopleFilters]):
    """People of the caller's subtree, by unit path and employee number. ``unit``:
    that unit and its subtree; ``active``: in service or not (default both);
    ``q``: part of the name or employee number."""
    who = require_view(request)
    unit = unit_or_404(who, filters.unit) if filters.unit is not None else None
    return selectors.people_search(
        user=who,
        query=filters.q,
        unit=unit,
        category=filters.category or "",
        active=filters.active,
    )


@router.get(
    "/people/{person_id}", response=responses(PersonDetailOut), summary="One person"
)
def person_detail(request: HttpRequest, person_id: PathId):
    return person_or_404(principal(request), person_id)


@router.get(
    "/people/{person_id}/compliance",
    response=responses(list[PersonComplianceOut]),
    summary="A person's compliance, per programme cycle",
)
@paginate(Pagination)
def person_compliance(request: HttpRequest, person_id: PathId):
    """Open cycles first (soonest due first), then past ones; with progress
    against each requirement and what is still missing."""
    person = person_or_404(principal(request), person_id)
    return queries.person_compliance_rows(person)


@router.get(
    "/people/{person_id}/ledger",
    response=responses(list[LedgerEntryOut]),
    summary="A person's 学时 ledger",
)
@paginate(Pagination)
def person_ledger(request: HttpRequest, person_id: PathId):
    """Credited entries, newest first. A correction is a second entry that
    ``reverses`` the first; both stay."""
    person = person_or_404(principal(request), person_id)
    return LedgerEntry.objects.filter(person=person).order_by("-occurred_on", "-id")


@router.get(
    "/people/{person_id}/enrolments",
    response=responses(list[EnrolmentOut]),
    summary="A person's course enrolments",
)
@paginate(Pagination)
def person_enrolments(request: HttpRequest, person_id: PathId):
    person = person_or_404(principal(request), person_id)
    return queries.enrolments(person=person)


@router.get(
    "/people/{person_id}/assignments",
    response=responses(list[AssignmentOut]),
    summary="Course assignments that reached a person",
)
@paginate(Pagination)
def person_assignments(request: HttpRequest, person_id: PathId):
    person = person_or_404(principal(request), person_id)
    return queries.assignments(person=person)
