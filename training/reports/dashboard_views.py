"""The leadership dashboard (``/reports/``) and its people list.

Thin: the filters come from ``forms_dashboard`` (the URL carries the whole view, so
a link can be shared), the figures from ``selectors_dashboard`` (roll-ups, cached
under the roll-up generation), the people from its scoped ``dashboard_people``.
A unit outside the requester's scope answers 404, like every other object out of
scope, so unit ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from training.org import selectors
from training.org.models import OrgUnit, Person
from training.reports import dashboard as dash_selectors
from training.reports.dashboard import Counts, Dashboard, DashboardFilter
from training.reports.forms import (
    FOCUS_CHOICES,
    DashboardFilterForm,
    dashboard_filter_from,
    filter_params,
)
from training.reports.models import ProgressReport
from training.reports.progress_selectors import (
    report_period_bounds,
    report_period_label,
)

PEOPLE_PER_PAGE = 50

# The people list's tabs: (key, label, URL overrides). "at_risk" is a flag of its
# own in the URL (and in exports), the others are ``PEOPLE_STATUSES`` keys.
PEOPLE_TABS = (
    ("", _("All"), {}),
    ("not_compliant", _("Not yet compliant"), {"status": "not_compliant"}),
    ("overdue", _("Not compliant (overdue)"), {"status": "overdue"}),
    ("in_progress", _("In progress"), {"status": "in_progress"}),
    ("at_risk", _("At risk"), {"at_risk": "1"}),
    ("compliant", _("Compliant"), {"status": "compliant"}),
    ("exempt", _("Exempt"), {"status": "exempt"}),
)
# Reports from the units below are looked at for this period (the last one ended).
REPORT_PERIOD = ProgressReport.Period.QUARTER


def _filter(request) -> tuple[DashboardFilterForm, DashboardFilter | None]:
    selectors.require_view_role(request.user)
    try:
        return dashboard_filter_from(request.user, request.GET)
    except PermissionDenied:
        # Another scope's unit, or one that does not exist: the same answer.
        raise Http404 from None


def _url(name: str, f: DashboardFilter, **overrides) -> str:
    return f"{reverse(name)}?{urlencode(filter_params(f, **overrides))}"


def _breadcrumb(user, f: DashboardFilter, dash: Dashboard | None = None) -> list:
    """From the top of the user's scope down to the current unit; never the
    ancestors above the scope. The dashboard brings the ancestors along (no query);
    without it, one query (none at the top unit)."""
    paths = selectors.scope_paths(user)
    path = f.unit.path
    if paths is None:
        top = OrgUnit.steplen
    else:
        top = max((len(p) for p in paths if path.startswith(p)), default=len(path))
    ancestors = None
    if dash is not None and f.programme is not None:
        ancestors = getattr(dash, "ancestors", None)
    if ancestors is None:
        prefixes = [path[:n] for n in range(top, len(path), OrgUnit.steplen)]
        ancestors = [
            {"id": u.pk, "name": u.short_name or u.name, "path": u.path}
            for u in (
                OrgUnit.objects.filter(path__in=prefixes)
                .order_by("path")
                .only("pk", "name", "short_name", "path")
                if prefixes
                else []
            )
        ]
    chain = [a for a in ancestors if len(a["path"]) >= top]
    chain.append({"id": f.unit.pk, "name": f.unit.short_name or f.unit.name})
    return [
        {"name": a["name"], "url": _url("training:dashboard", f, unit=a["id"])}
        for a in chain
    ]


def _choice_label(choices, value: str) -> str:
    return str(dict(choices).get(value, value or "—"))


LEADERSHIP_LABELS = [("", _("No leadership post")), *Person.LeadershipLevel.choices]


def _breakdowns(dash: Dashboard) -> list[dict]:
    tables = (
        ("category", _("By category"), dash.by_category, Person.Category.choices),
        ("grade", _("By prosecutor grade"), dash.by_grade, Person.Grade.choices),
        (
            "leadership",
            _("By leadership level"),
            dash.by_leadership,
            LEADERSHIP_LABELS,
        ),
        ("focus", _("By focus group"), dash.by_focus, FOCUS_CHOICES),
    )
    return [
        {
            "key": key,
            "title": title,
            "rows": [
                {"label": _choice_label(choices, value), "counts": counts}
                for value, counts in table.items()
            ],
        }
        for key, title, table, choices in tables
    ]


def _rate(counts: Counts) -> float | None:
    # Chart.js wants numbers; the page itself shows the Decimal.
    return None if counts.rate is None else float(counts.rate)


def _chart_data(dash: Dashboard, breakdowns: list[dict]) -> dict:
    s = dash.summary
    return {
        "labels": {
            "rate": str(_("Compliance rate (%)")),
            "compliant": str(_("Compliant")),
            "in_progress": str(_("In progress")),
            "overdue": str(_("Not compliant")),
            "exempt": str(_("Exempt")),
            "met": str(_("Met in the month")),
            "cumulative": str(_("Cumulative compliance rate (%)")),
            "cumulative_met": str(_("Met so far")),
        },
        "children": [
            {"name": c["name"], "rate": _rate(c["counts"])} for c in dash.children
        ],
        "status": {
            "compliant": s.compliant,
            "in_progress": s.in_progress,
            "overdue": s.overdue,
            "exempt": s.exempt,
        },
        "trend": [
            {
                "month": t["month"],
                "met": t["met"],
                "cumulative": t["cumulative"],
                "rate": None if t["rate"] is None else float(Decimal(t["rate"])),
            }
            for t in dash.trend
        ],
        "breakdowns": {
            b["key"]: [
                {"label": r["label"], "rate": _rate(r["counts"])} for r in b["rows"]
            ]
            for b in breakdowns
        },
    }


def _children(f: DashboardFilter, dash: Dashboard) -> list[dict]:
    rows = []
    for child in dash.children:
        people_url = _url("training:dashboard_people", f, unit=child["id"])
        rows.append(
            {
                **child,
                "drill_url": (
                    _url("training:dashboard", f, unit=child["id"])
                    if child["has_children"]
                    else people_url
                ),
                "people_url": people_url,
            }
        )
    return rows


def _last_report_period(today: dt.date) -> dt.date:
    current, _end = report_period_bounds(REPORT_PERIOD, today)
    return report_period_bounds(REPORT_PERIOD, current - dt.timedelta(days=1))[0]


def _reports_link(unit: OrgUnit) -> dict:
    """The units below and their progress reports for the last ended quarter.
    Only a link: counting the missing reports here (``child_report_overview``,
    two or three queries) would break the page's query budget."""
    start = _last_report_period(timezone.localdate())
    query = {"unit": unit.pk, "period": REPORT_PERIOD, "start": start.isoformat()}
    return {
        "label": report_period_label(REPORT_PERIOD, start),
        "url": f"{reverse('training:progress_report_children')}?{urlencode(query)}",
    }


@login_required
@require_GET
def dashboard(request):
    form, f = _filter(request)
    context: dict = {"form": form, "f": f}
    if f is not None:
        dash = dash_selectors.dashboard_get(request.user, f)
        breakdowns = _breakdowns(dash)
        params = filter_params(f)
        context.update(
            dash=dash,
            generated_at=dt.datetime.fromisoformat(dash.generated_at),
            summary=dash.summary,
            own=dash.own if dash.own.total else None,
            children=_children(f, dash),
            breakdowns=breakdowns,
            chart_data=_chart_data(dash, breakdowns),
            breadcrumb=_breadcrumb(request.user, f, dash),
            params=params,
            querystring=urlencode(params),
            people_url=_url("training:dashboard_people", f),
            overdue_url=_url("training:dashboard_people", f, status="overdue"),
            at_risk_url=_url("training:dashboard_people", f, at_risk="1"),
            # No cycle has roll-ups: recompute_compliance has not run yet.
            no_rollups=(
                f.programme is not None
                and not form.cycles
                and not dash.summary.total
                and not f.person_q()
            ),
            reports=_reports_link(f.unit) if dash.children else None,
        )
    return render(request, "training/dashboard/dashboard.html", context)


def _tab(request) -> tuple[str, str, bool]:
    at_risk = request.GET.get("at_risk") in ("1", "true", "on")
    status = request.GET.get("status", "")
    if status not in dash_selectors.PEOPLE_STATUSES:
        status = ""
    key = "at_risk" if at_risk and not status else status
    return key, status, at_risk


@login_required
@require_GET
def dashboard_people(request):
    form, f = _filter(request)
    key, status, at_risk = _tab(request)
    status_params = {"status": status} if status else {}
    if at_risk:
        status_params["at_risk"] = "1"
    context: dict = {
        "form": form,
        "f": f,
        "tab": key,
        "status_params": status_params,
    }
    if f is not None and f.programme is not None:
        rows = dash_selectors.dashboard_people(
            request.user, f, status=status, at_risk=at_risk
        ).select_related("version")
        page = Paginator(rows, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
        params = {**filter_params(f), **status_params}
        context.update(
            page=page,
            params=params,
            querystring=urlencode(params),
            dashboard_url=_url("training:dashboard", f),
            breadcrumb=_breadcrumb(request.user, f),
            tabs=[
                {
                    "key": tab_key,
                    "label": label,
                    "url": _url("training:dashboard_people", f, **overrides),
                }
                for tab_key, label, overrides in PEOPLE_TABS
            ],
        )
    return render(request, "training/dashboard/people.html", context)
