"""Leadership dashboard reads (/reports/): compliance of a unit's subtree per
programme cycle, by child unit, by person attributes and by month.

Every figure comes from the per-unit roll-ups (``training.compliance.rollups``) summed
over the tree path, never from the ledger or the 300,000 status rows; people lists
come from ``ComplianceStatus`` filtered by the same path. The whole dashboard for
one set of filters is cached under the roll-up generation, so any change to the
counts invalidates it. Every entry point checks the unit against the requester's
scope (``training.org.selectors``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from training.classes.models import ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth
from training.compliance.rollups import AT_RISK_DAYS, rollups_generation
from training.org.models import OrgUnit, Person
from training.org.selectors import (
    VIEW_ROLES,
    require_view_role,
    scope_paths,
    unit_in_scope,
)
from training.programmes.models import Programme, ProgrammeVersion

Status = ComplianceStatus.Status
COUNTS = ("total", "compliant", "in_progress", "overdue", "exempt", "at_risk")
CACHE_SECONDS = 600

# The 2011 opinion's focus groups, from a person's attributes.
FOCUS_LEADERS = "leaders"  # 领导干部: any leadership level
FOCUS_QUOTA = "quota"  # 员额检察官 (front-line prosecutors), not leaders
FOCUS_OTHER = "other"  # everyone else
FOCUS_GROUPS = (FOCUS_LEADERS, FOCUS_QUOTA, FOCUS_OTHER)


def focus_group(leadership_level: str, is_quota: bool) -> str:
    if leadership_level:
        return FOCUS_LEADERS
    return FOCUS_QUOTA if is_quota else FOCUS_OTHER


def _focus_q(focus: str, prefix: str = "") -> Q:
    lead, quota = f"{prefix}leadership_level", f"{prefix}is_quota"
    if focus == FOCUS_LEADERS:
        return ~Q(**{lead: ""})
    if focus == FOCUS_QUOTA:
        return Q(**{lead: "", quota: True})
    return Q(**{lead: "", quota: False})


@dataclass(frozen=True)
class DashboardFilter:
    """What the dashboard URL carries; everything but the unit is optional."""

    unit: OrgUnit
    programme: Programme | None = None
    cycle_start: dt.date | None = None  # None for event-triggered programmes
    category: str = ""
    grade: str = ""
    leadership_level: str = ""
    focus: str = ""

    def person_q(self, prefix: str = "") -> Q:
        """The person-attribute filters as a Q over roll-ups (prefix "") or status
        rows (prefix "person__")."""
        q = Q()
        for name in ("category", "grade", "leadership_level"):
            value = getattr(self, name)
            if value:
                q &= Q(**{f"{prefix}{name}": "" if value == "-" else value})
        if self.focus:
            q &= _focus_q(self.focus, prefix)
        return q

    def cycle_q(self, prefix: str = "") -> Q:
        q = Q(**{f"{prefix}programme_id": self.programme.pk})
        if self.cycle_start is not None:
            q &= Q(**{f"{prefix}cycle_start": self.cycle_start})
        return q

    def cache_key(self) -> str:
        return ":".join(
            str(v)
            for v in (
                self.unit.pk,
                self.programme.pk if self.programme else "",
                self.cycle_start or "",
                self.category,
                self.grade,
                self.leadership_level,
                self.focus,
            )
        )


# --- scope -------------------------------------------------------------------------


def dashboard_root_units(user) -> list[OrgUnit]:
    """The top units of the user's dashboard scope (usually one)."""
    require_view_role(user)
    paths = scope_paths(user, VIEW_ROLES)
    units = OrgUnit.objects.filter(is_active=True)
    if paths is None:
        return list(units.filter(depth=1).order_by("path"))
    return list(units.filter(path__in=paths).order_by("path"))


def dashboard_unit(user, unit_id: int | None) -> OrgUnit:
    """The unit asked for, if the user may see it; else their own top unit.
    Another scope's unit is refused, never silently replaced."""
    if unit_id is None:
        roots = dashboard_root_units(user)
        if not roots:
            raise PermissionDenied
        return roots[0]
    # A drill-down page needs no list of roots (one query fewer).
    require_view_role(user)
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None or not unit_in_scope(user, unit):
        raise PermissionDenied
    return unit


def _latest_published(programme) -> QuerySet[ProgrammeVersion]:
    return ProgrammeVersion.objects.filter(
        programme=programme, is_published=True
    ).order_by("-effective_from")


def dashboard_programmes() -> list[Programme]:
    # The latest cycle kind comes along, so the filter form need not ask again.
    return list(
        Programme.objects.filter(status=Programme.Status.PUBLISHED)
        .annotate(
            latest_cycle_kind=Subquery(
                _latest_published(OuterRef("pk")).values("cycle_kind")[:1]
            )
        )
        .order_by("name")
    )


def programme_is_event(programme: Programme) -> bool:
    if hasattr(programme, "latest_cycle_kind"):
        return programme.latest_cycle_kind == "event"
    version = _latest_published(programme).only("cycle_kind").first()
    return version is not None and version.cycle_kind == "event"


def programme_cycles(programme: Programme) -> list[dt.date]:
    """Cycle starts that have roll-ups, newest first."""
    return sorted(
        set(
            UnitRollup.objects.filter(programme=programme)
            .values_list("cycle_start", flat=True)
            .distinct()
        ),
        reverse=True,
    )


def default_cycle(
    cycles: list[dt.date], today: dt.date | None = None
) -> dt.date | None:
    today = today or timezone.localdate()
    return next((c for c in cycles if c <= today), cycles[-1] if cycles else None)


# --- figures -----------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    compliant: int = 0
    in_progress: int = 0
    overdue: int = 0
    exempt: int = 0
    at_risk: int = 0
    hours: Decimal = Decimal("0")
    online_hours: Decimal = Decimal("0")

    def add(self, row: dict) -> None:
        for name in (*COUNTS, "hours", "online_hours"):
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))

    @property
    def counted(self) -> int:
        return self.total - self.exempt

    @property
    def rate(self) -> Decimal | None:
        """Compliant share of the people who must comply (exempt people excluded),
        in percent with one decimal."""
        if self.counted <= 0:
            return None
        return (Decimal(self.compliant) * 100 / self.counted).quantize(Decimal("0.1"))

    @property
    def online_hours_per_head(self) -> Decimal | None:
        if not self.total:
            return None
        return (self.online_hours / self.total).quantize(Decimal("0.01"))

    def as_dict(self) -> dict:
        data = asdict(self)
        data["hours"] = str(Decimal(self.hours).quantize(Decimal("0.01")))
        data["online_hours"] = str(Decimal(self.online_hours).quantize(Decimal("0.01")))
        data["rate"] = None if self.rate is None else str(self.rate)
        per_head = self.online_hours_per_head
        data["online_hours_per_head"] = None if per_head is None else str(per_head)
        return data


SUMS = {name: Sum(name) for name in (*COUNTS, "hours", "online_hours")}


@dataclass
class Dashboard:
    filter: DashboardFilter
    summary: Counts = field(default_factory=Counts)
    own: Counts = field(default_factory=Counts)  # people directly in the unit
    children: list[dict] = field(default_factory=list)  # unit + Counts, by rate
    # Every ancestor of the unit, top first (id, name, path); callers trim them to
    # the requester's scope.
    ancestors: list[dict] = field(default_factory=list)
    by_category: dict[str, Counts] = field(default_factory=dict)
    by_grade: dict[str, Counts] = field(default_factory=dict)
    by_leadership: dict[str, Counts] = field(default_factory=dict)
    by_focus: dict[str, Counts] = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)  # month, met, cumulative, rate
    classes: dict = field(default_factory=dict)
    generated_at: str = ""


def _rollups(f: DashboardFilter) -> QuerySet[UnitRollup]:
    return UnitRollup.objects.filter(
        f.cycle_q(), f.person_q(), unit__path__startswith=f.unit.path
    )


def _children_counts(f: DashboardFilter, dash: Dashboard) -> None:
    """One grouped query by child branch; the unit's own people are the branch equal
    to its own path."""
    child_len = len(f.unit.path) + OrgUnit.steplen
    by_branch = {
        row["branch"]: row
        for row in _rollups(f)
        .annotate(branch=Substr("unit__path", 1, child_len))
        .values("branch")
        .annotate(**SUMS)
        .order_by()
    }
    # The same query brings the unit's ancestors, for the pages' breadcrumb.
    step = OrgUnit.steplen
    ancestor_paths = [f.unit.path[:n] for n in range(step, len(f.unit.path), step)]
    units = (
        OrgUnit.objects.filter(
            Q(path__startswith=f.unit.path, depth=f.unit.depth + 1, is_active=True)
            | Q(path__in=ancestor_paths)
        )
        .order_by("sort_order", "code")
        .values("pk", "code", "name", "short_name", "path", "depth", "numchild")
    )
    children = []
    for unit in units:
        if unit["depth"] < f.unit.depth:
            dash.ancestors.append(
                {
                    "id": unit["pk"],
                    "name": unit["short_name"] or unit["name"],
                    "path": unit["path"],
                }
            )
        else:
            children.append(unit)
    dash.ancestors.sort(key=lambda a: a["path"])
    for branch, row in by_branch.items():
        dash.summary.add(row)
        if branch == f.unit.path:
            dash.own.add(row)
    for child in children:
        counts = Counts()
        row = by_branch.get(child["path"])
        if row:
            counts.add(row)
        dash.children.append(
            {
                "id": child["pk"],
                "code": child["code"],
                "name": child["short_name"] or child["name"],
                "has_children": child["numchild"] > 0,
                "counts": counts,
            }
        )
    # Ranking: best rate first; units with nobody to count last.
    dash.children.sort(
        key=lambda c: (c["counts"].rate is None, -(c["counts"].rate or 0), c["code"])
    )
    for rank, child in enumerate(dash.children, start=1):
        child["rank"] = rank if child["counts"].rate is not None else None


def _breakdowns(f: DashboardFilter, dash: Dashboard) -> None:
    """Category, grade, leadership level and focus group from one grouped query."""
    grouped = (
        _rollups(f)
        .values("category", "grade", "leadership_level", "is_quota")
        .annotate(**SUMS)
        .order_by()
    )
    tables = {
        "category": defaultdict(Counts),
        "grade": defaultdict(Counts),
        "leadership_level": defaultdict(Counts),
        "focus": defaultdict(Counts),
    }
    for row in grouped:
        tables["category"][row["category"]].add(row)
        if row["grade"]:
            tables["grade"][row["grade"]].add(row)
        tables["leadership_level"][row["leadership_level"]].add(row)
        tables["focus"][focus_group(row["leadership_level"], row["is_quota"])].add(row)

    def ordered(choices, table) -> dict[str, Counts]:
        return {value: table[value] for value in choices if value in table}

    dash.by_category = ordered(Person.Category.values, tables["category"])
    dash.by_grade = ordered(Person.Grade.values, tables["grade"])
    dash.by_leadership = ordered(
        Person.LeadershipLevel.values, tables["leadership_level"]
    )
    dash.by_focus = ordered(FOCUS_GROUPS, tables["focus"])


def _trend(f: DashboardFilter, dash: Dashboard) -> None:
    """People who met the programme, by month, and the cumulative rate against
    today's headcount. Person filters do not apply (months are counted per unit)."""
    months = (
        UnitRollupMonth.objects.filter(f.cycle_q(), unit__path__startswith=f.unit.path)
        .values("month")
        .annotate(met=Sum("met"))
        .order_by("month")
    )
    cumulative = 0
    counted = dash.summary.counted if not f.person_q() else None
    for row in months:
        cumulative += row["met"]
        rate = None
        if counted:
            rate = str((Decimal(cumulative) * 100 / counted).quantize(Decimal("0.1")))
        dash.trend.append(
            {
                "month": row["month"].strftime("%Y-%m"),
                "met": row["met"],
                "cumulative": cumulative,
                "rate": rate,
            }
        )


def _cycle_range(f: DashboardFilter) -> tuple[dt.date, dt.date]:
    if f.cycle_start is None:
        today = timezone.localdate()
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    end = (
        ComplianceStatus.objects.filter(f.cycle_q())
        .values_list("cycle_end", flat=True)
        .first()
    )
    return f.cycle_start, end or f.cycle_start.replace(month=12, day=31)


def _classes(f: DashboardFilter, dash: Dashboard) -> None:
    """Classes organised in the subtree during the cycle, with attendance."""
    start, end = _cycle_range(f)
    row = (
        TrainingClass.objects.filter(
            organiser_unit__path__startswith=f.unit.path,
            starts_on__lte=end,
            ends_on__gte=start,
        )
        .exclude(status=TrainingClass.Status.CANCELLED)
        .aggregate(
            held=Count("id", distinct=True),
            participants=Count(
                "members",
                filter=Q(members__status=ClassMember.Status.CONFIRMED),
            ),
            passed=Count(
                "members", filter=Q(members__result=ClassMember.Result.PASSED)
            ),
        )
    )
    participants = row["participants"] or 0
    dash.classes = {
        "held": row["held"] or 0,
        "participants": participants,
        "passed": row["passed"] or 0,
        "pass_rate": (
            str(
                (Decimal(row["passed"] or 0) * 100 / participants).quantize(
                    Decimal("0.1")
                )
            )
            if participants
            else None
        ),
        "start": start,
        "end": end,
    }


def dashboard_build(f: DashboardFilter) -> Dashboard:
    """Every figure of the dashboard; callers have checked the scope."""
    dash = Dashboard(filter=f, generated_at=timezone.localtime().isoformat())
    if f.programme is not None:
        _children_counts(f, dash)
        _breakdowns(f, dash)
        _trend(f, dash)
    _classes(f, dash)
    return dash


def dashboard_get(user, f: DashboardFilter) -> Dashboard:
    """The dashboard for ``f``, from the cache when the roll-ups have not changed."""
    if not unit_in_scope(user, f.unit):
        raise PermissionDenied
    key = f"training:dashboard:{rollups_generation()}:{f.cache_key()}"
    dash = cache.get(key)
    if dash is None:
        dash = dashboard_build(f)
        cache.set(key, dash, CACHE_SECONDS)
    return replace(dash, filter=f)


# --- people ------------------------------------------------------------------------

PEOPLE_STATUSES = {
    "compliant": Q(status=Status.COMPLIANT),
    "in_progress": Q(status=Status.IN_PROGRESS),
    "overdue": Q(status=Status.NON_COMPLIANT),
    "exempt": Q(status=Status.EXEMPT),
    "not_compliant": Q(status__in=[Status.IN_PROGRESS, Status.NON_COMPLIANT]),
}


def at_risk_q(today: dt.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(
        status=Status.IN_PROGRESS,
        due_on__lte=today + dt.timedelta(days=AT_RISK_DAYS),
    )


def dashboard_people(
    user, f: DashboardFilter, *, status: str = "", at_risk: bool = False
) -> QuerySet[ComplianceStatus]:
    """Status rows of the people in ``f``'s subtree (scoped), for lists and exports.
    ``status`` is a key of ``PEOPLE_STATUSES``."""
    if not unit_in_scope(user, f.unit) or f.programme is None:
        raise PermissionDenied
    rows = ComplianceStatus.objects.filter(
        f.cycle_q(), f.person_q("person__"), unit__path__startswith=f.unit.path
    )
    if status in PEOPLE_STATUSES:
        rows = rows.filter(PEOPLE_STATUSES[status])
    if at_risk:
        rows = rows.filter(at_risk_q())
    return rows.select_related("person__user", "unit").order_by(
        "unit__path", "person__employee_no"
    )
