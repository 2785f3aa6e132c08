"""Programme pages: create with a first rule, draft → preview → publish, versions,
who complies, and the scope (CITY-B never sees or changes CITY-A's programmes)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from cms.models import AuditEvent
from tests.factories import PersonFactory
from tests.factories.training import credit, make_programme
from training.compliance.models import ComplianceStatus
from training.compliance.services import compliance_refresh_person
from training.org.models import Person
from training.programmes.models import Programme, ProgrammeVersion
from training.programmes.rulebook import audience_queryset
from training.programmes.selectors import rule_summary
from training.programmes.services import programme_version_create

LIST = reverse("training:programme_list")
NEW = reverse("training:programme_new")


def url(name, *args):
    return reverse(f"training:{name}", args=args)


def programme_data(unit, **extra):
    data = {
        "name": "甲市业务培训",
        "kind": Programme.Kind.SPECIALIST,
        "owner_unit": unit.pk,
        "responsible_department": "政治部",
        "responsible_person": "李处长",
        "deadline": "",
        "description": "",
        "effective_from": "2026-01-01",
        "change_note": "",
        "quota": "",
        "hours_required": "40",
        "days_required": "",
        "online_hours_required": "",
        "centralised_days_required": "",
        "credit_scope": "all",
        "cycle_kind": "year",
        "cycle_years": "1",
        "cycle_anchor_year": "",
        "trigger_event": "",
        "window_months": "",
    }
    data.update(extra)
    return data


@pytest.fixture
def city_a_programme(tree):
    return make_programme(
        tree.city_a,
        name="甲市年度培训",
        hours_required=Decimal("90"),
        days_required=Decimal("12"),
    )


@pytest.fixture
def city_b_programme(tree):
    return make_programme(tree.city_b, name="乙市年度培训", days_required=Decimal("5"))


# --- create -------------------------------------------------------------------------


def test_coordinator_creates_a_draft_programme(client, coordinator, tree, people):
    client.force_login(coordinator)
    response = client.get(NEW)
    assert response.status_code == 200
    assert 'id="programme-form"' in response.content.decode()
    response = client.post(
        NEW, programme_data(tree.city_a, categories=["prosecutor"], grades=["p3"])
    )
    programme = Programme.objects.get(name="甲市业务培训")
    version = programme.versions.get()
    assert response.status_code == 302
    assert response["Location"] == url(
        "programme_version_edit", programme.pk, version.pk
    )
    assert programme.status == Programme.Status.DRAFT
    assert programme.created_by == coordinator
    assert version.hours_required == Decimal("40")
    assert version.categories == ["prosecutor"]
    assert not version.is_published


def test_form_errors_are_redisplayed(client, coordinator, tree):
    client.force_login(coordinator)
    data = programme_data(tree.city_a, name="", hours_required="-1", cycle_kind="years")
    response = client.post(NEW, data)
    assert response.status_code == 200
    assert not Programme.objects.exists()
    form, vform = response.context["form"], response.context["version_form"]
    assert "name" in form.errors
    assert "hours_required" in vform.errors
    assert "cycle_anchor_year" in vform.errors
    content = response.content.decode()
    assert 'class="errorlist"' in content
    assert 'value="-1"' in content  # what was typed comes back


def test_event_cycle_needs_trigger_and_window(client, coordinator, tree):
    client.force_login(coordinator)
    response = client.post(NEW, programme_data(tree.city_a, cycle_kind="event"))
    assert response.status_code == 200
    vform = response.context["version_form"]
    assert {"trigger_event", "window_months"} <= set(vform.errors)
    assert not Programme.objects.exists()


def test_once_without_deadline_rolls_back(client, coordinator, tree):
    client.force_login(coordinator)
    response = client.post(NEW, programme_data(tree.city_a, cycle_kind="once"))
    assert response.status_code == 200
    assert response.context["version_form"].errors
    assert not Programme.objects.exists()


def test_coordinator_b_cannot_create_for_city_a(client, coordinator_b, tree):
    client.force_login(coordinator_b)
    response = client.post(NEW, programme_data(tree.city_a))
    assert response.status_code == 200
    assert "owner_unit" in response.context["form"].errors
    assert not Programme.objects.exists()
    units = response.context["form"].fields["owner_unit"].queryset
    assert set(units.values_list("code", flat=True)) == {"CITY-B", "B1"}


@pytest.mark.parametrize("who", ["learner", "leader"])
def test_create_refused_without_manage_role(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(NEW).status_code == 403


def test_learner_cannot_see_programmes(client, learner, city_a_programme):
    client.force_login(learner)
    assert client.get(LIST).status_code == 403
    pk = city_a_programme.programme_id
    assert client.get(url("programme_detail", pk)).status_code == 403
    assert client.get(url("programme_people", pk)).status_code == 403


# --- preview and publish ------------------------------------------------------------


def test_preview_count_equals_audience_queryset(client, coordinator, tree, people):
    PersonFactory(unit=tree.a2, category=Person.Category.CLERK, grade="")
    PersonFactory(unit=tree.b1)
    version = make_programme(
        tree.prov, publish=False, hours_required=Decimal("10"), name="省院培训"
    )
    version.audience_units.set([tree.city_a, tree.b1])
    client.force_login(coordinator)
    response = client.get(
        url("programme_version_edit", version.programme_id, version.pk)
    )
    # CITY-A's coordinator may not edit the province's rule: read-only, preview shown.
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["total"] == audience_queryset(version).count() == 6
    assert preview["in_scope"] == 4  # CITY-A, A1, A2 and the A2 clerk
    assert [r["n"] for r in preview["by_category"]] == [3, 1]
    assert sum(r["n"] for r in preview["by_category"]) == 4
    content = response.content.decode()
    assert 'id="audience-preview"' in content
    assert 'id="audience-count">6<' in content


def test_draft_edit_shows_preview_and_publishes(
    client, coordinator, tree, people, django_capture_on_commit_callbacks
):
    version = make_programme(tree.city_a, publish=False, hours_required=Decimal("8"))
    client.force_login(coordinator)
    edit = url("programme_version_edit", version.programme_id, version.pk)
    response = client.get(edit)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="programme-form"' in content
    assert 'id="audience-count">3<' in content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("programme_version_publish", version.programme_id, version.pk)
        )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.is_published
    assert version.programme.status == Programme.Status.PUBLISHED
    # The test task backend runs the recompute at once.
    assert ComplianceStatus.objects.filter(programme=version.programme).count() == 3


def test_version_without_requirement_cannot_be_published(client, coordinator, tree):
    client.force_login(coordinator)
    response = client.post(NEW, programme_data(tree.city_a, hours_required=""))
    assert response.status_code == 302
    version = ProgrammeVersion.objects.get()
    response = client.post(
        url("programme_version_publish", version.programme_id, version.pk)
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert not version.is_published
    assert version.programme.status == Programme.Status.DRAFT


def test_published_version_cannot_be_edited(client, coordinator, city_a_programme):
    version = city_a_programme
    client.force_login(coordinator)
    edit = url("programme_version_edit", version.programme_id, version.pk)
    response = client.get(edit)
    assert response.status_code == 200
    assert 'id="version-readonly"' in response.content.decode()
    assert "form" not in response.context
    response = client.post(
        edit, programme_data(version.programme.owner_unit, hours_required="1")
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.hours_required == Decimal("90")


def test_draft_edit_saves(client, coordinator, tree):
    version = make_programme(tree.city_a, publish=False, hours_required=Decimal("8"))
    client.force_login(coordinator)
    edit = url("programme_version_edit", version.programme_id, version.pk)
    data = programme_data(tree.city_a, hours_required="12", days_required="2")
    data["audience_units"] = [tree.a1.pk]
    response = client.post(edit, data)
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.hours_required, version.days_required) == (12, 2)
    assert list(version.audience_units.all()) == [tree.a1]


def test_new_version_is_prefilled_and_drafts_are_not_doubled(
    client, coordinator, city_a_programme
):
    programme = city_a_programme.programme
    client.force_login(coordinator)
    new = url("programme_version_new", programme.pk)
    response = client.get(new)
    assert response.status_code == 200
    assert response.context["form"].initial["hours_required"] == Decimal("90")
    data = programme_data(
        programme.owner_unit,
        effective_from="2027-01-01",
        change_note="提高要求",
        hours_required="100",
        days_required="12",
    )
    response = client.post(new, data)
    assert response.status_code == 302
    draft = programme.versions.get(number=2)
    assert not draft.is_published
    assert draft.change_note == "提高要求"
    response = client.get(new)
    assert response.status_code == 302
    assert response["Location"] == url("programme_version_edit", programme.pk, draft.pk)


def test_new_version_keeps_old_cycles(tree, people, city_a_programme):
    """2025 is measured by v1 (90 学时 or 12 days); 2027 by v2 (100 学时)."""
    programme = city_a_programme.programme
    person = people["A1"]
    v2 = programme_version_create(
        programme=programme,
        actor=None,
        effective_from=dt.date(2027, 1, 1),
        hours_required=Decimal("100"),
        days_required=None,
    )
    from training.programmes.services import programme_publish

    programme_publish(version=v2, actor=None)
    credit(person, "95", on=dt.date(2026, 5, 1))
    credit(person, "95", on=dt.date(2027, 5, 1))
    compliance_refresh_person(person_id=person.pk, today=dt.date(2026, 6, 1))
    compliance_refresh_person(person_id=person.pk, today=dt.date(2027, 6, 1))
    rows = {
        r.cycle_start.year: r
        for r in ComplianceStatus.objects.filter(person=person, programme=programme)
    }
    assert rows[2026].version_id == city_a_programme.pk
    assert rows[2026].status == "compliant"
    assert rows[2027].version_id == v2.pk
    assert rows[2027].status == "in_progress"
    assert rows[2027].missing == {"hours": "5.00"}


# --- detail, people, export ---------------------------------------------------------


@pytest.fixture
def measured(tree, people, city_a_programme):
    credit(people["A1"], days="12")
    for person in people.values():
        compliance_refresh_person(person_id=person.pk, today=dt.date(2026, 6, 1))
    return city_a_programme


@pytest.fixture
def _today(monkeypatch):
    monkeypatch.setattr(
        "training.compliance.programme_views.timezone.localdate",
        lambda: dt.date(2026, 6, 1),
    )


def test_detail_counts_and_summary(client, leader, measured, _today):
    client.force_login(leader)
    response = client.get(url("programme_detail", measured.programme_id))
    assert response.status_code == 200
    counts = {c["value"]: c["count"] for c in response.context["counts"]}
    assert counts == {"compliant": 1, "in_progress": 2, "overdue": 0, "exempt": 0}
    assert response.context["cycle"].start == dt.date(2026, 1, 1)
    assert not response.context["can_manage"]
    assert "recompute-form" not in response.content.decode()


def test_people_list_by_status(client, coordinator, measured, _today, people):
    client.force_login(coordinator)
    people_url = url("programme_people", measured.programme_id)
    response = client.get(people_url, {"status": "in_progress"})
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert sorted(r.person.employee_no for r in rows) == ["P-A2", "P-CITY-A"]
    response = client.get(
        people_url, {"status": "in_progress"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "90 学时 or 12 days short" in response.content.decode()
    response = client.get(people_url)
    assert response.context["page"].paginator.count == 3
    assert "P-B1" not in response.content.decode()


def test_people_export(client, coordinator, measured, _today):
    client.force_login(coordinator)
    response = client.get(url("programme_people_export", measured.programme_id))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "工号"
    assert sorted(r[0] for r in rows[1:]) == ["P-A1", "P-A2", "P-CITY-A"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_recompute_enqueues(
    client, coordinator, measured, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    ComplianceStatus.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("programme_recompute", measured.programme_id))
    assert response.status_code == 302
    assert ComplianceStatus.objects.filter(programme=measured.programme).exists()


# --- scope --------------------------------------------------------------------------


def test_list_is_scoped(
    client, coordinator, coordinator_b, tree, city_a_programme, city_b_programme
):
    national = make_programme(tree.prov, name="全省培训", hours_required=Decimal("1"))
    client.force_login(coordinator)
    names = [p.name for p in client.get(LIST).context["page"].object_list]
    assert sorted(names) == sorted(["甲市年度培训", national.programme.name])
    client.force_login(coordinator_b)
    response = client.get(LIST)
    names = [p.name for p in response.context["page"].object_list]
    assert sorted(names) == sorted(["乙市年度培训", national.programme.name])
    assert "甲市年度培训" not in response.content.decode()


def test_coordinator_b_cannot_touch_city_a(
    client, coordinator_b, city_a_programme, measured
):
    client.force_login(coordinator_b)
    pk, vid = city_a_programme.programme_id, city_a_programme.pk
    for name, args in [
        ("programme_detail", (pk,)),
        ("programme_people", (pk,)),
        ("programme_people_export", (pk,)),
        ("programme_version_new", (pk,)),
        ("programme_version_edit", (pk, vid)),
    ]:
        response = client.get(url(name, *args))
        assert response.status_code == 404, name
    for name, args in [
        ("programme_version_edit", (pk, vid)),
        ("programme_version_publish", (pk, vid)),
        ("programme_recompute", (pk,)),
        ("programme_version_new", (pk,)),
    ]:
        response = client.post(
            url(name, *args), programme_data(city_a_programme.programme.owner_unit)
        )
        assert response.status_code == 404, name
    assert city_a_programme.programme.versions.count() == 1


def test_city_coordinator_reads_but_cannot_change_province_rule(
    client, coordinator, tree
):
    version = make_programme(tree.prov, publish=False, hours_required=Decimal("5"))
    client.force_login(coordinator)
    pk = version.programme_id
    assert client.get(url("programme_detail", pk)).status_code == 200
    assert client.get(url("programme_version_new", pk)).status_code == 403
    response = client.post(
        url("programme_version_edit", pk, version.pk),
        programme_data(tree.prov, hours_required="1"),
    )
    assert response.status_code == 403
    assert (
        client.post(url("programme_version_publish", pk, version.pk)).status_code == 403
    )
    version.refresh_from_db()
    assert version.hours_required == 5 and not version.is_published


def test_people_list_for_province_programme_is_scoped(
    client, coordinator_b, tree, people
):
    version = make_programme(tree.prov, hours_required=Decimal("5"))
    for person in people.values():
        compliance_refresh_person(person_id=person.pk)
    client.force_login(coordinator_b)
    response = client.get(url("programme_people", version.programme_id))
    assert response.status_code == 200
    listed = sorted(r.person.employee_no for r in response.context["page"].object_list)
    assert listed == ["P-B1", "P-CITY-B"]


# --- query counts -------------------------------------------------------------------


def test_list_query_count(client, coordinator, tree, django_assert_max_num_queries):
    for i in range(8):
        make_programme(tree.city_a, name=f"培训{i}", hours_required=Decimal("1"))
    client.force_login(coordinator)
    client.get(LIST)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 8


def test_people_query_count(
    client, coordinator, tree, city_a_programme, django_assert_max_num_queries
):
    for _i in range(15):
        person = PersonFactory(unit=tree.a1)
        compliance_refresh_person(person_id=person.pk)
    client.force_login(coordinator)
    people_url = url("programme_people", city_a_programme.programme_id)
    client.get(people_url)
    with django_assert_max_num_queries(20):
        response = client.get(people_url)
    assert response.context["page"].paginator.count == 15


def test_rule_summary_plain_words(tree):
    version = make_programme(
        tree.prov,
        hours_required=Decimal("90"),
        days_required=Decimal("12"),
        online_hours_required=Decimal("50"),
        categories=["prosecutor"],
        leadership_levels=["county"],
    )
    with translation.override("en"):
        lines = rule_summary(version)
    assert lines[0] == "Each calendar year: ≥ 90 学时 or ≥ 12 days"
    assert lines[1] == "online 学时 ≥ 50"
    assert lines[-1].startswith("Audience: ")
    assert "Prosecutor" in lines[-1]
    assert "County/division level" in lines[-1]


def test_edit_particulars_and_archive(client, coordinator, coordinator_b, tree):
    from training.programmes.rulebook import programme_rules

    version = make_programme(
        tree.city_a, name="甲市专项培训", hours_required=Decimal("8")
    )
    programme = version.programme
    edit_url = url("programme_edit", programme.pk)
    archive_url = url("programme_archive", programme.pk)

    client.force_login(coordinator_b)  # another city: neither edits nor archives
    assert client.get(edit_url).status_code == 404
    assert client.post(archive_url).status_code == 404

    client.force_login(coordinator)
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url,
        {
            "name": "甲市专项培训（修订）",
            "responsible_department": "政治部",
            "responsible_person": "李处长",
            "deadline": "2026-10-31",
            "description": "",
        },
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.name == "甲市专项培训（修订）"
    assert programme.deadline == dt.date(2026, 10, 31)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CORRECTION, target_id=str(programme.pk)
    ).exists()

    assert programme.pk in programme_rules()
    assert client.post(archive_url).status_code == 302
    programme.refresh_from_db()
    assert programme.status == Programme.Status.ARCHIVED
    assert programme.pk not in programme_rules()  # no longer measured
