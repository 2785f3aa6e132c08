"""The leadership dashboard pages (/reports/ and /reports/people/): scope, figures
equal to the status rows, drill-down links that keep the filters, the people list's
tabs and pages, empty states and the query budget."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PersonFactory, Role, UserFactory, grant
from tests.factories.training import credit, make_programme
from training.compliance.models import ComplianceStatus
from training.compliance.recompute import compliance_recompute
from training.compliance.rollups import rollups_rebuild
from training.ledger.models import LedgerEntry
from training.org.models import Person
from training.reports.dashboard import at_risk_q

DASHBOARD = reverse("training:dashboard")
PEOPLE = reverse("training:dashboard_people")
YEAR = timezone.localdate().year
CYCLE = dt.date(YEAR, 1, 1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def annual(tree):
    return make_programme(tree.prov, name="年度岗位培训", hours_required=Decimal("10"))


@pytest.fixture
def statuses(people, annual):
    """A1 and B1 compliant, the others in progress; counted into roll-ups."""
    on = dt.date(YEAR, 1, 10)
    credit(people["A1"], "12", on=on)
    credit(people["B1"], "10", on=on, source=LedgerEntry.Source.COURSE)
    credit(people["A2"], "4", on=on)
    compliance_recompute()
    return ComplianceStatus.objects.filter(programme=annual.programme)


@pytest.fixture
def province_leader(tree):
    user = UserFactory(username="leader-prov", full_name="省院领导")
    grant(user, Role.LEADER, tree.prov)
    return user


def get(client, user, url=DASHBOARD, **params):
    client.force_login(user)
    return client.get(url, params, **EN)


def html(response) -> str:
    return response.content.decode()


def stat(page: str, stat_id: str) -> str:
    match = re.search(rf'id="{stat_id}">([^<]*)<', page)
    assert match, stat_id
    return match.group(1).strip()


def link_params(page: str, link_id: str) -> dict[str, list[str]]:
    match = re.search(rf'href="([^"]*)" id="{link_id}"', page) or re.search(
        rf'id="{link_id}" href="([^"]*)"', page
    )
    assert match, link_id
    return parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query)


# --- access and scope -------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, tree):
    for url in (DASHBOARD, PEOPLE):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_learner_is_refused(client, learner, statuses):
    assert get(client, learner).status_code == 403
    assert get(client, learner, PEOPLE).status_code == 403


def test_province_leader_sees_every_city(client, province_leader, statuses, tree):
    response = get(client, province_leader)
    assert response.status_code == 200
    page = html(response)
    assert f'id="unit-{tree.city_a.pk}"' in page
    assert f'id="unit-{tree.city_b.pk}"' in page
    assert stat(page, "stat-total") == "6"


def test_coordinator_sees_own_subtree_only(client, coordinator, statuses, tree):
    response = get(client, coordinator)
    assert response.status_code == 200
    page = html(response)
    assert tree.city_a.name in page
    assert f'id="unit-{tree.a1.pk}"' in page and f'id="unit-{tree.a2.pk}"' in page
    for unit in (tree.city_b, tree.b1, tree.prov):
        assert unit.name not in page
    assert "P-B1" not in page
    # The breadcrumb starts at the top of the scope, not at the province.
    crumbs = re.findall(r"data-unit-crumb>([^<]+)<", page)
    assert crumbs == [tree.city_a.name]
    deep = html(get(client, coordinator, unit=tree.a1.pk))
    crumbs = re.findall(r"data-unit-crumb>([^<]+)<", deep)
    assert crumbs == [tree.city_a.name, tree.a1.name]
    assert tree.prov.name not in deep

    people = html(get(client, coordinator, PEOPLE))
    assert "P-A1" in people and "P-A2" in people and "P-CITY-A" in people
    assert "P-B1" not in people and "P-CITY-B" not in people
    assert "P-PROV" not in people


@pytest.mark.parametrize("url", [DASHBOARD, PEOPLE])
def test_other_scope_or_unknown_unit_is_404(client, coordinator, statuses, tree, url):
    for unit_id in (tree.city_b.pk, tree.b1.pk, tree.prov.pk, 999999):
        assert get(client, coordinator, url, unit=unit_id).status_code == 404


def test_huge_unit_id_is_not_a_server_error(client, coordinator, statuses):
    response = get(client, coordinator, unit="9" * 30)
    assert response.status_code in (200, 404)


# --- figures ------------------------------------------------------------------------


def test_figures_equal_the_status_rows(client, province_leader, statuses, tree):
    page = html(get(client, province_leader))
    rows = statuses
    total = rows.count()
    compliant = rows.filter(status="compliant").count()
    exempt = rows.filter(status="exempt").count()
    assert stat(page, "stat-total") == str(total)
    assert stat(page, "stat-compliant") == str(compliant)
    assert stat(page, "stat-in-progress") == str(
        rows.filter(status="in_progress").count()
    )
    assert stat(page, "stat-overdue") == str(rows.filter(status="overdue").count())
    assert stat(page, "stat-exempt") == str(exempt)
    assert stat(page, "stat-at-risk") == str(rows.filter(at_risk_q()).count())
    rate = (Decimal(compliant) * 100 / (total - exempt)).quantize(Decimal("0.1"))
    assert stat(page, "stat-rate") == f"{rate}%"
    online = sum((r.online_hours for r in rows), Decimal("0")) / total
    assert stat(page, "stat-online") == str(online.quantize(Decimal("0.01")))

    # Child rows: CITY-A holds CITY-A, A1 and A2 (one of three compliant).
    row = re.search(
        rf'<tr id="unit-{tree.city_a.pk}" data-unit-row>(.*?)</tr>', page, re.S
    ).group(1)
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row)
    assert cells[:2] == ["—", "3"] or cells[:2] == ["2", "3"]
    assert "33.3%" in row
    # The province's own person is its "本单位机关" row.
    assert 'id="unit-own"' in page


def test_ranking_best_rate_first(client, province_leader, statuses, tree):
    page = html(get(client, province_leader))
    order = re.findall(r'<tr id="unit-(\d+)" data-unit-row>', page)
    # CITY-B: 1 of 2 compliant (50 %), CITY-A: 1 of 3 (33.3 %).
    assert order == [str(tree.city_b.pk), str(tree.city_a.pk)]


def test_person_filters_change_the_figures(client, province_leader, statuses, people):
    Person.objects.filter(pk=people["A1"].pk).update(leadership_level="county")
    compliance_recompute()
    page = html(get(client, province_leader, focus="leaders"))
    assert stat(page, "stat-total") == "1"
    assert stat(page, "stat-compliant") == "1"


def test_chart_data_and_tables_are_on_the_page(client, province_leader, statuses):
    page = html(get(client, province_leader))
    assert 'id="dashboard-data"' in page
    assert "training/vendor/chart.umd.min.js" in page
    assert re.search(r'<script src="[^"]*chart\.umd\.min\.js" defer>', page)
    for table_id in ("children-table", "status-table", "trend-table"):
        assert f'id="{table_id}"' in page
    assert page.count("<caption") >= 7  # every chart has its data table
    for key in ("category", "grade", "leadership", "focus"):
        assert f'id="breakdown-{key}"' in page


def test_export_links_carry_the_filters(client, coordinator, statuses, annual, tree):
    page = html(get(client, coordinator, unit=tree.city_a.pk, category="prosecutor"))
    for link_id in (
        "export-units",
        "export-breakdown",
        "export-trend",
        "dashboard-pdf",
        # The site menu once named its own link people_url and won over this one.
        "dashboard-people-link",
    ):
        params = link_params(page, link_id)
        assert params["unit"] == [str(tree.city_a.pk)]
        assert params["programme"] == [str(annual.programme.pk)]
        assert params["cycle"] == [CYCLE.isoformat()]
        assert params["category"] == ["prosecutor"]
    assert reverse("training:export_create") in page
    assert 'name="kind" value="people"' in page


# --- drill-down and filters ---------------------------------------------------------


def test_drill_down_links_keep_the_filters(client, province_leader, statuses, tree):
    page = html(get(client, province_leader, category="prosecutor", focus="other"))
    rows = dict(
        re.findall(r'<tr id="unit-(\d+)" data-unit-row>.*?href="([^"]+)"', page, re.S)
    )
    city_a = urlsplit(rows[str(tree.city_a.pk)].replace("&amp;", "&"))
    assert city_a.path == DASHBOARD  # has units below: same page
    query = parse_qs(city_a.query)
    assert query["unit"] == [str(tree.city_a.pk)]
    assert query["category"] == ["prosecutor"]
    assert query["focus"] == ["other"]
    assert query["cycle"] == [CYCLE.isoformat()]

    drilled = html(get(client, province_leader, **{k: v[0] for k, v in query.items()}))
    leaf = dict(
        re.findall(
            r'<tr id="unit-(\d+)" data-unit-row>.*?href="([^"]+)"', drilled, re.S
        )
    )
    a1 = urlsplit(leaf[str(tree.a1.pk)].replace("&amp;", "&"))
    assert a1.path == PEOPLE  # no units below: straight to the people
    assert parse_qs(a1.query)["category"] == ["prosecutor"]
    # Breadcrumb: province › city, each level linked with the same filters.
    crumbs = re.findall(r'<a href="([^"]+)" data-unit-crumb>([^<]+)<', drilled)
    assert [name for _url, name in crumbs] == [tree.prov.name]
    assert "category=prosecutor" in crumbs[0][0]
    assert f"unit={tree.prov.pk}" in crumbs[0][0]


def test_invalid_cycle_shows_errors(client, coordinator, statuses):
    response = get(client, coordinator, cycle="1999-01-01")
    assert response.status_code == 200
    page = html(response)
    assert 'id="dashboard-filter-errors"' in page
    assert "This programme has no cycle starting then." in page
    assert 'id="dashboard-summary"' not in page
    response = get(client, coordinator, PEOPLE, cycle="not-a-date", grade="nope")
    assert response.status_code == 200
    assert 'class="errorlist"' in html(response)


def test_empty_states(client, coordinator, tree, people, annual):
    # A published programme, but nothing counted yet.
    page = html(get(client, coordinator))
    assert 'id="dashboard-no-rollups"' in page
    assert "recompute_compliance" in page


def test_no_programme(client, coordinator, people):
    page = html(get(client, coordinator))
    assert 'id="dashboard-no-programme"' in page
    assert 'id="dashboard-no-programme"' in html(get(client, coordinator, PEOPLE))


def test_unit_with_nobody(client, province_leader, statuses, tree):
    from tests.factories import OrgUnitFactory

    empty = OrgUnitFactory(code="EMPTY", name="空单位", parent=tree.city_b)
    page = html(get(client, province_leader, unit=empty.pk))
    assert 'id="dashboard-nobody"' in page
    people = html(get(client, province_leader, PEOPLE, unit=empty.pk))
    assert 'id="people-empty"' in people


# --- people list ----------------------------------------------------------------------


def test_people_tabs_filter_by_status_and_risk(
    client, coordinator, statuses, people, annual
):
    rows = statuses.filter(person__unit__path__startswith=people["CITY-A"].unit.path)
    rows.filter(person=people["A2"]).update(status="overdue")
    rows.filter(person=people["CITY-A"]).update(
        status="in_progress", due_on=timezone.localdate() + dt.timedelta(days=10)
    )
    rollups_rebuild(programme_id=annual.programme.pk)

    def shown(**params) -> set[str]:
        return set(
            re.findall(
                r"P-[A-Z0-9-]+", html(get(client, coordinator, PEOPLE, **params))
            )
        )

    assert shown() == {"P-A1", "P-A2", "P-CITY-A"}
    assert shown(status="overdue") == {"P-A2"}
    assert shown(status="compliant") == {"P-A1"}
    assert shown(status="not_compliant") == {"P-A2", "P-CITY-A"}
    assert shown(at_risk="1") == {"P-CITY-A"}
    page = html(get(client, coordinator, PEOPLE, at_risk="1"))
    assert 'aria-current="page" data-tab="at_risk"' in page
    # The summary's links lead to these lists.
    dashboard = html(get(client, coordinator))
    assert link_params(dashboard, "stat-overdue-link")["status"] == ["overdue"]
    assert link_params(dashboard, "stat-at-risk-link")["at_risk"] == ["1"]


def test_people_link_to_their_explanation(client, coordinator, statuses, people):
    page = html(get(client, coordinator, PEOPLE, status="compliant"))
    url = reverse("training:person_compliance", args=[people["A1"].pk])
    assert f'href="{url}"' in page
    assert "12 / 10 学时" in page


def test_people_list_paginates(client, coordinator, annual, tree):
    for n in range(53):
        PersonFactory(unit=tree.a1, employee_no=f"E{n:03d}", category="prosecutor")
    compliance_recompute()
    first = html(get(client, coordinator, PEOPLE))
    assert "53 people" in first and "page 1 of 2" in first
    assert first.count('data-person="') == 50
    second = html(get(client, coordinator, PEOPLE, page=2))
    assert second.count('data-person="') == 3
    assert "E052" in second and "E000" not in second
    assert 'rel="prev"' in second


# --- query budget ---------------------------------------------------------------------


def test_dashboard_query_budget(
    client, coordinator, statuses, tree, django_assert_max_num_queries
):
    client.force_login(coordinator)
    with django_assert_max_num_queries(15) as cold:
        assert client.get(DASHBOARD, **EN).status_code == 200
    with django_assert_max_num_queries(len(cold.captured_queries) - 5):
        assert client.get(DASHBOARD, **EN).status_code == 200  # cached
    with django_assert_max_num_queries(15):
        response = client.get(DASHBOARD, {"unit": tree.a1.pk}, **EN)
        assert response.status_code == 200


def test_people_query_budget(
    client, coordinator, annual, tree, django_assert_max_num_queries
):
    for n in range(30):
        PersonFactory(unit=tree.a1 if n % 2 else tree.a2, employee_no=f"Q{n:03d}")
    compliance_recompute()
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(PEOPLE, {"unit": tree.city_a.pk}, **EN)
    assert html(response).count('data-person="') == 30
