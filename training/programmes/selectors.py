"""Reads for the programme pages (培训项目): which programmes a user sees, the rule in
plain words, who complies in the current cycle, and the audience preview."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from training.org import selectors
from training.org.models import OrgUnit, Person
from training.programmes import rules
from training.programmes.models import Programme, ProgrammeVersion
from training.programmes.rulebook import (
    audience_queryset,
    cycle_and_rule,
    programme_rules,
)
from training.programmes.services import audience_count

Version = ProgrammeVersion


def related_units_q(actor, field: str):
    """Units above or below the actor's scope roots (a class organised by the
    province counts for a city's programme)."""
    paths = selectors.scope_paths(actor, selectors.VIEW_ROLES)
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    q = Q()
    step = OrgUnit.steplen
    for path in paths:
        ancestors = [path[:i] for i in range(step, len(path), step)]
        q |= Q(**{f"{field}__startswith": path}) | Q(**{f"{field}__in": ancestors})
    return q


def programmes_visible_to(user) -> QuerySet[Programme]:
    """Programmes owned above or below the user's scope roots: a province's rules
    apply to its cities, and a city sees what its districts define."""
    selectors.require_view_role(user)
    return Programme.objects.filter(related_units_q(user, "owner_unit__path"))


def programme_get(user, pk: int) -> Programme:
    programme = (
        programmes_visible_to(user).select_related("owner_unit").filter(pk=pk).first()
    )
    if programme is None:
        raise Http404
    return programme


def can_manage(user, programme: Programme) -> bool:
    return selectors.unit_in_scope(user, programme.owner_unit, manage=True)


def require_manage(user, programme: Programme) -> None:
    if not can_manage(user, programme):
        raise PermissionDenied


def current_version(versions, today: dt.date) -> ProgrammeVersion | None:
    """The version in force today: the newest published one already effective,
    else the first published one, else the newest draft."""
    published = sorted(
        (v for v in versions if v.is_published),
        key=lambda v: (v.effective_from, v.number),
    )
    in_force = [v for v in published if v.effective_from <= today]
    if in_force:
        return in_force[-1]
    if published:
        return published[0]
    return max(versions, key=lambda v: v.number, default=None)


def current_cycle(programme: Programme, today: dt.date) -> rules.Cycle | None:
    """The cycle measured today (``None`` for unpublished and event programmes)."""
    versions = programme_rules([programme.pk]).get(programme.pk)
    if not versions or versions[0].cycle.kind == Version.CycleKind.EVENT:
        return None
    found = cycle_and_rule(versions, today)
    return found[0] if found else None


# --- plain-language rule -----------------------------------------------------------


def _labels(values: list[str], choices) -> str:
    names = dict(choices)
    return "、".join(str(names.get(v, v)) for v in values)


def _cycle_phrase(version: ProgrammeVersion) -> str:
    kind = version.cycle_kind
    if kind == Version.CycleKind.MULTI_YEAR:
        return _("Every %(years)s years (cycles counted from %(anchor)s)") % {
            "years": version.cycle_years,
            "anchor": version.cycle_anchor_year,
        }
    if kind == Version.CycleKind.EVENT:
        return _("Within %(months)s months of %(event)s") % {
            "months": version.window_months,
            "event": version.get_trigger_event_display(),
        }
    if kind == Version.CycleKind.ONCE:
        deadline = version.programme.deadline
        return _("Once, by %(deadline)s") % {
            "deadline": date_format(deadline, "DATE_FORMAT") if deadline else "—"
        }
    return _("Each calendar year")


def rule_summary(version: ProgrammeVersion) -> list[str]:
    """The rule in a few plain sentences ("Each calendar year: ≥ 90 学时 or ≥ 12
    days", "of which online 学时 ≥ 50", "Audience: Prosecutor, …")."""
    lines: list[str] = []
    hours, days = version.hours_required, version.days_required
    if hours is not None and days is not None:
        amount = _("≥ %(hours)s 学时 or ≥ %(days)s days") % {
            "hours": rules.format_amount(hours),
            "days": rules.format_amount(days),
        }
    elif hours is not None:
        amount = _("≥ %(hours)s 学时") % {"hours": rules.format_amount(hours)}
    elif days is not None:
        amount = _("≥ %(days)s days") % {"days": rules.format_amount(days)}
    else:
        amount = ""
    cycle = _cycle_phrase(version)
    lines.append(
        _("%(cycle)s: %(amount)s") % {"cycle": cycle, "amount": amount}
        if amount
        else cycle
    )
    if version.online_hours_required is not None:
        lines.append(
            _("online 学时 ≥ %(hours)s")
            % {"hours": rules.format_amount(version.online_hours_required)}
        )
    if version.centralised_days_required is not None:
        lines.append(
            _("days in centralised classes ≥ %(days)s")
            % {"days": rules.format_amount(version.centralised_days_required)}
        )
    for label, items in (
        (_("Required courses: %(items)s"), version.required_courses.all()),
        (_("Required exams: %(items)s"), version.required_quizzes.all()),
        (_("Required classes: %(items)s"), version.required_classes.all()),
    ):
        names = [getattr(i, "title", None) or getattr(i, "name", str(i)) for i in items]
        if names:
            lines.append(label % {"items": "、".join(names)})
    if version.credit_scope == Version.CreditScope.EARMARKED:
        lines.append(_("Only training earmarked for this programme counts."))
    programme = version.programme
    if programme.deadline and version.cycle_kind != Version.CycleKind.ONCE:
        lines.append(
            _("Deadline: %(date)s")
            % {"date": date_format(programme.deadline, "DATE_FORMAT")}
        )
    lines.append(_("Audience: %(who)s") % {"who": _audience_phrase(version)})
    return lines


def _audience_phrase(version: ProgrammeVersion) -> str:
    units = [u.name for u in version.audience_units.all()]
    parts = [
        "、".join(units)
        if units
        else _("everyone in %(unit)s and below")
        % {"unit": version.programme.owner_unit}
    ]
    if version.categories:
        parts.append(_labels(version.categories, Person.Category.choices))
    if version.grades:
        parts.append(_labels(version.grades, Person.Grade.choices))
    if version.leadership_levels:
        parts.append(
            _labels(
                version.leadership_levels,
                [
                    (v, label if v else _("No leadership post"))
                    for v, label in Person.LeadershipLevel.choices
                ],
            )
        )
    if version.quota:
        parts.append(str(version.get_quota_display()))
    return "; ".join(str(p) for p in parts)


def audience_preview(user, version: ProgrammeVersion) -> dict:
    """Who a draft would cover: everyone, those in the user's scope, by category."""
    people = audience_queryset(version)
    in_scope = people
    if selectors.scope_paths(user, selectors.VIEW_ROLES) is not None:
        in_scope = people.filter(pk__in=selectors.people_visible_to(user).values("pk"))
    categories = dict(Person.Category.choices)
    by_category = [
        {"label": categories.get(row["category"], row["category"]), "n": row["n"]}
        for row in in_scope.order_by()
        .values("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")
    ]
    return {
        "total": audience_count(version),
        "in_scope": in_scope.count(),
        "by_category": by_category,
    }
