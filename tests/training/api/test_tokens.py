"""API tokens: hashed at rest, refused when wrong, revoked or expired, read-only
unless allowed to write, last use recorded at most once a minute; sessions."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from cms.models import AuditEvent
from tests.training.api.conftest import API, EN, make_token
from training.api.models import ApiToken
from training.api.tokens import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)

pytestmark = pytest.mark.django_db


def test_key_is_stored_only_as_its_hash(token_a):
    token, key = token_a
    assert key.startswith("jcpx_") and len(key) > 40
    row = ApiToken.objects.get(pk=token.pk)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.prefix == key[:12]
    stored = [str(v) for v in ApiToken.objects.values_list().get(pk=token.pk)]
    assert key not in stored
    assert AuditEvent.objects.filter(
        target_type="training.apitoken", target_id=str(token.pk)
    ).exists()


def test_valid_token_reads(api_get, token_a):
    response = api_get("/units", token_a[1])
    assert response.status_code == 200
    assert response.json()["count"] == 3  # CITY-A, A1, A2


@pytest.mark.parametrize(
    "header",
    ["Bearer jcpx_wrong", "Bearer ", "Bearer something-else", "Token abc"],
)
def test_wrong_or_missing_key_is_401(client, tree, token_a, header):
    response = client.get(f"{API}/units", HTTP_AUTHORIZATION=header, **EN)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_no_credentials_is_401(client, tree):
    response = client.get(f"{API}/people", **EN)
    assert response.status_code == 401
    assert response.json() == {
        "detail": response.json()["detail"],
        "code": "not_authenticated",
    }


def test_key_with_right_prefix_but_wrong_rest_is_401(api_get, token_a):
    _token, key = token_a
    forged = key[:12] + "x" * (len(key) - 12)
    assert api_get("/units", forged).status_code == 401


def test_revoked_token_is_401(api_get, token_a, superuser):
    token, key = token_a
    api_token_revoke(token=token, actor=superuser, reason="系统下线")
    response = api_get("/units", key)
    assert response.status_code == 401
    token.refresh_from_db()
    assert token.revoked_by == superuser and token.revoke_reason == "系统下线"


def test_expired_token_is_401(api_get, tree, superuser):
    token, key = make_token(
        tree.city_a,
        actor=superuser,
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    assert api_get("/units", key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert api_get("/units", key).status_code == 401


def test_inactive_unit_disables_token(api_get, tree, token_a):
    tree.city_a.is_active = False
    tree.city_a.save(update_fields=["is_active"])
    assert api_get("/units", token_a[1]).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(token_a):
    token, key = token_a
    assert token.last_used_at is None
    first = api_token_authenticate(key)
    used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None and used is not None
    api_token_authenticate(key)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == used
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=used - dt.timedelta(minutes=2)
    )
    api_token_authenticate(key)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > used - dt.timedelta(
        minutes=1
    )


def test_authenticate_costs_one_query(token_a, django_assert_num_queries):
    _token, key = token_a
    api_token_authenticate(key)  # writes last_used_at
    with django_assert_num_queries(1):
        assert api_token_authenticate(key) is not None


def test_only_admins_create_and_revoke(tree, coordinator, superuser):
    from django.core.exceptions import PermissionDenied

    from tests.factories import Role, UserFactory, grant

    with pytest.raises(PermissionDenied):
        api_token_create(name="x", unit=tree.city_a, can_write=False, actor=coordinator)
    admin_a = UserFactory(username="admin-a")
    grant(admin_a, Role.ADMIN, tree.city_a)
    token, _key = api_token_create(
        name="x", unit=tree.a1, can_write=False, actor=admin_a
    )
    with pytest.raises(PermissionDenied):
        api_token_create(name="x", unit=tree.city_b, can_write=False, actor=admin_a)
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=coordinator, reason="x")


def test_revoke_needs_a_reason_and_happens_once(token_a, superuser):
    from django.core.exceptions import ValidationError

    token, _key = token_a
    with pytest.raises(ValidationError):
        api_token_revoke(token=token, actor=superuser, reason=" ")
    api_token_revoke(token=token, actor=superuser, reason="泄露")
    with pytest.raises(ValidationError):
        api_token_revoke(token=token, actor=superuser, reason="again")


# --- sessions -----------------------------------------------------------------------


def test_session_leader_reads_scope(client, leader, people):
    client.force_login(leader)
    response = client.get(f"{API}/people", **EN)
    assert response.status_code == 200
    codes = {p["employee_no"] for p in response.json()["items"]}
    assert codes == {"P-CITY-A", "P-A1", "P-A2"}


def test_session_learner_gets_403_on_lists_but_reads_own_record(
    client, learner, people
):
    client.force_login(learner)
    for path in ("/people", "/units", "/programmes", "/progress-reports"):
        response = client.get(f"{API}{path}", **EN)
        assert response.status_code == 403, path
        assert response.json()["code"] == "permission_denied"
    own = people["A1"]
    assert client.get(f"{API}/people/{own.pk}", **EN).status_code == 200
    assert client.get(f"{API}/people/{own.pk}/ledger", **EN).status_code == 200
    other = people["A2"]
    assert client.get(f"{API}/people/{other.pk}", **EN).status_code == 404


def test_session_post_needs_csrf(tree, coordinator, people):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post(
        f"{API}/external-records", {"person_id": people["A1"].pk}, **EN
    )
    assert response.status_code == 403
    assert "code" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/certificates/verify/%0A%C2%A5%16",  # no route matches a newline
        "/api/v1/no-such-endpoint/",
        "/api/v1/units/12/nothing-here/",
    ],
)
def test_a_path_no_route_matches_answers_json_not_html(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_outside_the_api_the_404_page_stays_html(client):
    response = client.get("/no-such-page/%0A")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
