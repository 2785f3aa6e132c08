"""The compliance explanation (selector) and the /compliance/ pages: right entries,
earmarked credit, missing phrases, scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories.training import credit, make_programme
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.selectors import compliance_explain, person_compliance
from training.compliance.services import compliance_refresh_person
from training.ledger.models import ExternalRecord, LedgerEntry
from training.ledger.services import external_record_submit, ledger_entry_reverse
from training.programmes import rules
from training.programmes.models import ProgrammeVersion as Version

YEAR = timezone.localdate().year
ON = dt.date(YEAR, 1, 10)
MY = reverse("training:my_compliance")


def person_url(person):
    return reverse("training:person_compliance", args=[getattr(person, "pk", person)])


@pytest.fixture
def annual(tree):
    return make_programme(
        tree.prov,
        name="年度岗位培训",
        hours_required=Decimal("90"),
        days_required=Decimal("12"),
        online_hours_required=Decimal("50"),
    )


def status_of(person, version):
    compliance_refresh_person(person_id=person.pk)
    return ComplianceStatus.objects.select_related("programme", "version").get(
        person=person, programme=version.programme, cycle_start=dt.date(YEAR, 1, 1)
    )


def test_explanation_lists_counted_entries_and_missing(people, annual, coordinator):
    person = people["A1"]
    kept = credit(person, "20", on=ON, title="课程：宪法")
    wrong = credit(person, "30", on=ON, title="重复登记")
    ledger_entry_reverse(entry=wrong, actor=coordinator, reason="重复")
    credit(person, "40", on=dt.date(YEAR - 1, 12, 31), title="去年")
    item = compliance_explain(status=status_of(person, annual))

    titles = sorted(e.title for e in item["entries"])
    assert titles == ["课程：宪法", "重复登记", "重复登记"]
    assert any(e.source == LedgerEntry.Source.REVERSAL for e in item["entries"])
    assert item["totals"]["hours"] == Decimal("20")
    assert item["totals"]["hours"] == item["status"].hours
    assert kept in item["entries"]
    assert item["reversed_ids"] == {wrong.pk}
    assert item["rule"]["either"] is True
    assert [p["key"] for p in item["progress"]] == ["hours", "days", "online_hours"]
    assert item["progress"][0]["percent"] == 22
    with translation.override("en"):
        item = compliance_explain(status=status_of(person, annual))
        assert item["missing"] == ["70 学时 or 12 days short", "online 学时 50 short"]
        assert item["missing"] == rules.missing_phrases(item["status"].missing)


def test_earmarked_programme_counts_only_earmarked_entries(people, tree):
    version = make_programme(
        tree.prov,
        name="政治轮训",
        kind="political",
        hours_required=Decimal("10"),
        credit_scope=Version.CreditScope.EARMARKED,
    )
    person = people["A1"]
    credit(person, "8", on=ON, title="一般学时")
    credit(person, "4", on=ON, title="专项学时", programme=version.programme)
    item = compliance_explain(status=status_of(person, version))
    assert [e.title for e in item["entries"]] == ["专项学时"]
    assert item["totals"]["hours"] == Decimal("4")
    assert item["status"].missing == {"hours": "6.00"}
    assert item["rule"]["earmarked"]


def test_pending_records_are_shown(people, annual, learner):
    person = people["A1"]
    external_record_submit(
        files=[SimpleUploadedFile("证明.pdf", b"%PDF-1.4 proof")],
        person=person,
        actor=learner,
        title="国家检察官学院专题班",
        provider="国家检察官学院",
        started_on=ON,
        ended_on=ON + dt.timedelta(days=2),
        hours=Decimal("16"),
        days=Decimal("3"),
        is_centralised=True,
    )
    item = compliance_explain(status=status_of(person, annual))
    assert [r.title for r in item["pending"]] == ["国家检察官学院专题班"]
    assert item["pending"][0].status == ExternalRecord.Status.PENDING
    assert item["exemption"] is None


def test_exemption_is_explained(client, people, annual, learner):
    person = people["A1"]
    Exemption.objects.create(
        person=person,
        programme=annual.programme,
        reason="援藏",
        valid_from=dt.date(YEAR, 1, 1),
        valid_until=dt.date(YEAR, 12, 31),
    )
    item = compliance_explain(status=status_of(person, annual))
    assert item["status"].status == ComplianceStatus.Status.EXEMPT
    assert item["exemption"].reason == "援藏"
    client.force_login(learner)
    html = client.get(MY).content.decode()
    assert "status-exempt" in html
    assert "援藏" in html


def test_person_compliance_current_first(people, annual):
    person = people["A1"]
    credit(person, "5", on=dt.date(YEAR - 1, 5, 1))
    compliance_refresh_person(person_id=person.pk, days=[dt.date(YEAR - 1, 5, 1)])
    rows = list(person_compliance(person=person))
    assert [r.cycle_start.year for r in rows] == [YEAR, YEAR - 1]
    assert [
        r.cycle_start.year for r in person_compliance(person=person, year=YEAR - 1)
    ] == [YEAR - 1]


def test_learner_page_has_card_with_status_class(client, learner, people, annual):
    credit(people["A1"], "95", on=ON, source=LedgerEntry.Source.COURSE)
    client.force_login(learner)
    response = client.get(MY)
    assert response.status_code == 200
    html = response.content.decode()
    card = f'id="compliance-{annual.programme_id}"'
    assert card in html
    assert "status-compliant" in html
    assert "年度岗位培训" in html


def test_learner_page_shows_missing_in_english(client, learner, people, annual):
    credit(people["A1"], "10", on=ON)
    client.force_login(learner)
    with translation.override("en"):
        html = client.get(MY, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "status-in_progress" in html
    assert "missing-list" in html


def test_earlier_cycles_get_their_own_ids(client, learner, people, annual):
    credit(people["A1"], "5", on=dt.date(YEAR - 1, 5, 1))
    compliance_refresh_person(person_id=people["A1"].pk, days=[dt.date(YEAR - 1, 5, 1)])
    client.force_login(learner)
    html = client.get(MY).content.decode()
    pid = annual.programme_id
    assert f'id="compliance-{pid}"' in html
    assert f'id="compliance-{pid}-{YEAR - 1}0101"' in html
    assert "status-overdue" in html


def test_user_without_staff_record_sees_notice(client, coordinator):
    client.force_login(coordinator)
    response = client.get(MY)
    assert response.status_code == 200
    assert response.context["person"] is None


def test_learner_cannot_see_another_person(client, learner, people, annual):
    client.force_login(learner)
    assert client.get(person_url(people["A2"])).status_code == 403
    assert client.get(person_url(people["A1"])).status_code == 200


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_scoped_staff_see_person_in_scope(client, people, annual, role_user, request):
    credit(people["A2"], "95", on=ON)
    client.force_login(request.getfixturevalue(role_user))
    response = client.get(person_url(people["A2"]))
    assert response.status_code == 200
    assert f'id="compliance-{annual.programme_id}"' in response.content.decode()


def test_coordinator_b_cannot_see_city_a_person(client, coordinator_b, people, annual):
    credit(people["A1"], "95", on=ON, title="秘密课程")
    client.force_login(coordinator_b)
    response = client.get(person_url(people["A1"]))
    assert response.status_code == 403
    assert "秘密课程" not in response.content.decode()
    assert client.get(person_url(999_999)).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(MY)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_my_page_query_count_is_small(
    client, learner, people, annual, tree, django_assert_max_num_queries
):
    for i in range(5):
        other = make_programme(tree.prov, name=f"项目{i}", hours_required=Decimal(5))
        credit(people["A1"], "1", on=ON, programme=other.programme)
    client.force_login(learner)
    client.get(MY)
    with django_assert_max_num_queries(15):
        response = client.get(MY)
    assert len(response.context["cards"]) == 6
