"""Writing checked roster rows: new accounts and people inserted in bulk, existing
ones updated only in the fields that changed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from training.org.models import Person
from training.org.services.roster.parse import RowResult

User = get_user_model()

UPDATE_BATCH = 500

PERSON_FIELDS = (
    "unit_id",
    "category",
    "is_quota",
    "grade",
    "leadership_level",
    "position_title",
    "joined_on",
    "grade_since",
    "post_since",
    "is_active",
)


# Person fields that decide which programmes apply (and event-triggered cycles).
COMPLIANCE_FIELDS = frozenset(PERSON_FIELDS) - {"position_title"}


# --- writing -------------------------------------------------------------------------


def _write(
    results: list[RowResult], existing: dict[str, Person]
) -> tuple[int, int, list[int]]:
    new_rows = [r for r in results if r.values["employee_no"] not in existing]
    update_rows = [r for r in results if r.values["employee_no"] in existing]

    users = []
    for r in new_rows:
        user = User(
            username=r.values["employee_no"],
            full_name=r.values["full_name"],
            email=r.values.get("email", ""),
            is_active=r.values.get("is_active", True),
        )
        # Roster accounts start without a password: people set one through
        # "forgot password" or an administrator; nobody shares a default password.
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=1000)
    created_users = {
        u.username: u.pk
        for u in User.objects.filter(
            username__in=[r.values["employee_no"] for r in new_rows]
        ).only("id", "username")
    }
    people = []
    for r in new_rows:
        person = Person(
            user_id=created_users[r.values["employee_no"]],
            employee_no=r.values["employee_no"],
        )
        _apply(person, r.values)
        people.append(person)
    Person.objects.bulk_create(people, batch_size=1000)
    created_people = list(
        Person.objects.filter(
            employee_no__in=[r.values["employee_no"] for r in new_rows]
        ).values_list("pk", flat=True)
    )

    changed_people, changed_users = [], []
    person_fields: set[str] = set()
    user_fields: set[str] = set()
    user_ids = [existing[r.values["employee_no"]].user_id for r in update_rows]
    user_by_id = User.objects.in_bulk(user_ids)
    now = timezone.now()
    for r in update_rows:
        person = existing[r.values["employee_no"]]
        changed = _apply(person, r.values)
        if changed:
            person.updated_at = now
            changed_people.append(person)
            person_fields |= changed | {"updated_at"}
        user = user_by_id[person.user_id]
        new_user_values = {"full_name": r.values["full_name"]}
        for name in ("email", "is_active"):
            if name in r.values:
                new_user_values[name] = r.values[name]
        changed = {k for k, v in new_user_values.items() if getattr(user, k) != v}
        if changed:
            for key in changed:
                setattr(user, key, new_user_values[key])
            changed_users.append(user)
            user_fields |= changed
    # Only the rows and columns that really changed are written: bulk_update builds
    # one CASE expression per row and column, which dominates the cost of an update.
    if changed_people:
        Person.objects.bulk_update(
            changed_people, sorted(person_fields), batch_size=UPDATE_BATCH
        )
    if changed_users:
        User.objects.bulk_update(
            changed_users, sorted(user_fields), batch_size=UPDATE_BATCH
        )
    # "Updated" means really changed: a re-import of the same file reports 0.
    updated = {p.user_id for p in changed_people} | {u.pk for u in changed_users}
    # Compliance depends on unit, category, grade, dates…: re-evaluate those people.
    touched = created_people + [
        p.pk for p in changed_people if person_fields & COMPLIANCE_FIELDS
    ]
    return len(new_rows), len(updated), touched


def _apply(person: Person, values: dict[str, Any]) -> set[str]:
    """Set the row's values on the person; return the names of fields that changed."""
    changed = set()
    for name in PERSON_FIELDS:
        if name in values and getattr(person, name) != values[name]:
            setattr(person, name, values[name])
            changed.add(name)
    if values.get("national_id_hash") and (
        person.national_id_hash != values["national_id_hash"]
    ):
        person.national_id_hash = values["national_id_hash"]
        person.national_id_last4 = values["national_id_last4"]
        changed |= {"national_id_hash", "national_id_last4"}
    return changed
