"""Checking parsed roster rows against the database and each other: scope, units,
duplicates within the file, and numbers or e-mail addresses taken by others."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from training.org.models import OrgUnit, Person
from training.org.selectors import MANAGE_ROLES, protected_user_ids, scope_paths
from training.org.services.roster.columns import _BY_KEY
from training.org.services.roster.parse import RowResult

User = get_user_model()


# --- checking against the database -------------------------------------------------


def _check_rows(results: list[RowResult], actor) -> dict[str, Person]:
    paths = scope_paths(actor, MANAGE_ROLES) if actor is not None else None

    def in_scope(path: str) -> bool:
        return paths is None or any(path.startswith(p) for p in paths)

    codes = {r.values["unit_code"] for r in results if r.values.get("unit_code")}
    units = {
        u.code: u
        for u in OrgUnit.objects.filter(code__in=codes).only(
            "id", "code", "path", "is_active", "name"
        )
    }
    numbers = [r.values["employee_no"] for r in results if r.values.get("employee_no")]
    existing = {
        p.employee_no: p
        for p in Person.objects.filter(employee_no__in=numbers).select_related("unit")
    }
    hashes = [
        r.values["national_id_hash"] for r in results if "national_id_hash" in r.values
    ]
    hash_owner = dict(
        Person.objects.filter(national_id_hash__in=hashes).values_list(
            "national_id_hash", "employee_no"
        )
    )
    taken_usernames = set(
        User.objects.filter(username__in=numbers, person__isnull=True).values_list(
            "username", flat=True
        )
    )
    protected = protected_user_ids(actor, [p.user_id for p in existing.values()])
    emails = [r.values["email"] for r in results if r.values.get("email")]
    # E-mail login is case-insensitive, so the uniqueness check must be too.
    email_owner = dict(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "username")
    )

    seen_numbers: dict[str, int] = {}
    seen_hashes: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for result in results:
        values = result.values
        number = values.get("employee_no")
        if number:
            if number in seen_numbers:
                result.error(
                    _BY_KEY["employee_no"],
                    _("Employee number %(no)s already appears in row %(row)d.")
                    % {"no": number, "row": seen_numbers[number]},
                )
            else:
                seen_numbers[number] = result.row
            if number in taken_usernames:
                result.error(
                    _BY_KEY["employee_no"],
                    _("Login name %(no)s is already used by another account.")
                    % {"no": number},
                )
            current = existing.get(number)
            if current is not None and not in_scope(current.unit.path):
                result.error(
                    _BY_KEY["employee_no"],
                    _("Employee %(no)s belongs to a unit outside your scope.")
                    % {"no": number},
                )
            elif current is not None and current.user_id in protected:
                result.error(
                    _BY_KEY["employee_no"],
                    _(
                        "Employee %(no)s has an administrator account; only an "
                        "administrator can change it."
                    )
                    % {"no": number},
                )
        code = values.get("unit_code")
        if code:
            unit = units.get(code)
            if unit is None:
                result.error(
                    _BY_KEY["unit_code"],
                    _("Unknown unit code %(code)s.") % {"code": code},
                )
            elif not unit.is_active:
                result.error(
                    _BY_KEY["unit_code"],
                    _("Unit %(code)s is no longer active.") % {"code": code},
                )
            elif not in_scope(unit.path):
                result.error(
                    _BY_KEY["unit_code"],
                    _("Unit %(code)s (%(name)s) is outside your scope.")
                    % {"code": code, "name": unit.name},
                )
            else:
                values["unit_id"] = unit.pk
        id_hash = values.get("national_id_hash")
        if id_hash:
            if id_hash in seen_hashes:
                result.error(
                    _BY_KEY["national_id"],
                    _("The same ID number already appears in row %(row)d.")
                    % {"row": seen_hashes[id_hash]},
                )
            else:
                seen_hashes[id_hash] = result.row
            owner = hash_owner.get(id_hash)
            if owner is not None and owner != number:
                result.error(
                    _BY_KEY["national_id"],
                    _("This ID number is on file for employee %(no)s.") % {"no": owner},
                )
        email = values.get("email")
        if email:
            if email in seen_emails:
                result.error(
                    _BY_KEY["email"],
                    _("The e-mail address already appears in row %(row)d.")
                    % {"row": seen_emails[email]},
                )
            else:
                seen_emails[email] = result.row
            owner = email_owner.get(email)
            if owner is not None and owner != number:
                result.error(
                    _BY_KEY["email"],
                    _("The e-mail address belongs to another account."),
                )
    return existing
