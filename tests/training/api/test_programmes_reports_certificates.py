"""Programmes, progress reports and public certificate verification."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories.training import make_completed_class, make_programme
from tests.training.api.conftest import API, EN
from training.certificates.services import certificate_issue, certificate_revoke
from training.compliance.recompute import compliance_recompute
from training.reports.progress_services import (
    progress_report_get_or_create,
    progress_report_submit,
)

pytestmark = pytest.mark.django_db


# --- programmes ---------------------------------------------------------------------


def test_programmes_published_and_related_to_scope(api_get, tree, token_a):
    prov = make_programme(tree.prov, name="全省年度培训", hours_required=Decimal("90"))
    make_programme(tree.city_b, name="乙市培训", hours_required=Decimal("10"))
    make_programme(tree.city_a, name="甲市草稿", publish=False)
    key = token_a[1]
    names = {p["name"] for p in api_get("/programmes", key).json()["items"]}
    assert names == {"全省年度培训"}
    detail = api_get(f"/programmes/{prov.programme.pk}", key).json()
    version = detail["current_version"]
    assert version["number"] == 1
    assert version["hours_required"] == "90.00"
    assert any("90" in line for line in version["summary"])


def test_programme_detail_outside_scope_is_404(api_get, tree, token_a):
    other = make_programme(tree.city_b, name="乙市培训", hours_required=Decimal("10"))
    draft = make_programme(tree.city_a, name="甲市草稿", publish=False)
    assert api_get(f"/programmes/{other.programme.pk}", token_a[1]).status_code == 404
    assert api_get(f"/programmes/{draft.programme.pk}", token_a[1]).status_code == 404


# --- progress reports ---------------------------------------------------------------


@pytest.fixture
def reports(tree, people, coordinator, coordinator_b):
    make_programme(tree.prov, hours_required=Decimal("10"))
    compliance_recompute(today=dt.date(2026, 8, 1))
    mine = progress_report_get_or_create(
        unit=tree.city_a,
        period="quarter",
        period_start=dt.date(2026, 7, 1),
        actor=coordinator,
    )
    progress_report_submit(
        report=mine, actor=coordinator, problems="进度偏慢", comments=""
    )
    theirs = progress_report_get_or_create(
        unit=tree.city_b,
        period="quarter",
        period_start=dt.date(2026, 7, 1),
        actor=coordinator_b,
    )
    return mine, theirs


def test_progress_reports(api_get, reports, token_a):
    mine, theirs = reports
    key = token_a[1]
    items = api_get("/progress-reports", key).json()["items"]
    assert [r["id"] for r in items] == [mine.pk]
    assert items[0]["submission_count"] == 1
    detail = api_get(f"/progress-reports/{mine.pk}", key).json()
    assert detail["status"] == "submitted"
    assert detail["problems"] == "进度偏慢"
    assert detail["latest_submission"]["number"] == 1
    assert detail["latest_submission"]["data"]["unit"]["code"] == "CITY-A"
    assert api_get(f"/progress-reports/{theirs.pk}", key).status_code == 404


# --- certificate verification -------------------------------------------------------


@pytest.fixture
def certificate(tree, coordinator, people):
    holder = people["A1"]
    holder.user.full_name = "张三明"
    holder.user.save(update_fields=["full_name"])
    training_class = make_completed_class(
        tree.city_a, actor=coordinator, passed=[holder]
    )
    cert, _created = certificate_issue(
        person=holder, training_class=training_class, actor=coordinator
    )
    return cert


def test_verify_is_public_and_masks_the_name(client, certificate):
    messy = certificate.number.lower().replace("-", " ")
    response = client.get(f"{API}/certificates/verify/{messy}", **EN)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["number"] == certificate.number
    assert data["status"] == "valid"
    assert data["holder"] == "张*明"
    assert "张三明" not in response.content.decode()
    assert data["sha256"] == certificate.sha256
    assert data["revocation"] is None


def test_verify_revoked(client, certificate, coordinator):
    certificate_revoke(certificate=certificate, actor=coordinator, reason="学时撤销")
    data = client.get(f"{API}/certificates/verify/{certificate.code}").json()
    assert data["status"] == "revoked"
    assert data["revocation"]["reason"] == "学时撤销"


def test_verify_unknown_is_json_404(client, db):
    for code in ("0000-0000-0000-0000", "not-a-number"):
        response = client.get(f"{API}/certificates/verify/{code}", **EN)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_verify_is_throttled(client, db):
    """The site's verify rate (60 a minute per address) applies to the API too."""
    codes = [
        client.get(f"{API}/certificates/verify/0000-0000-0000-0000").status_code
        for _ in range(61)
    ]
    assert codes[:60] == [404] * 60
    assert codes[60] == 429
