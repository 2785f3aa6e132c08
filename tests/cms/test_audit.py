"""The audit log: written by cms.audit.audit_record, read-only in the Wagtail admin."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from cms.audit import audit_record
from cms.models import AuditEvent
from tests.factories import Role, UserFactory, grant


@pytest.fixture
def event(db):
    actor = UserFactory(username="actor")
    return audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=actor,
        target=actor,
        detail={"rows": 3},
    )


def test_audit_record_fills_actor_target_and_ip(db):
    actor = UserFactory(username="actor", full_name="审计员")
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    made = audit_record(
        action=AuditEvent.Action.APPROVAL,
        actor=actor,
        target=actor,
        detail={"k": "v"},
        request=request,
    )
    made.refresh_from_db()
    assert made.actor == actor
    assert made.actor_label == "actor"
    assert made.target_type == "cms.user"
    assert made.target_id == str(actor.pk)
    assert made.target_label == "审计员"
    assert made.ip_address == "192.0.2.7"
    assert made.detail == {"k": "v"}


def test_audit_record_accepts_anonymous_and_no_target(db):
    made = audit_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        actor=AnonymousUser(),
        actor_label="someone",
        target_label="x" * 300,
    )
    assert made.actor is None
    assert made.actor_label == "someone"
    assert len(made.target_label) == 255


def test_audit_row_outlives_its_actor(event):
    event.actor.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_label == "actor"


def test_superuser_reads_the_audit_log(client, event, superuser):
    client.force_login(superuser)
    response = client.get("/admin/audit/")
    assert response.status_code == 200
    assert "actor" in response.content.decode()
    inspect = client.get(f"/admin/audit/inspect/{event.pk}/")
    assert inspect.status_code == 200


def test_audit_log_filters(client, event, superuser):
    audit_record(action=AuditEvent.Action.LOGIN_FAILED, actor_label="guess")
    client.force_login(superuser)
    response = client.get("/admin/audit/", {"action": "auth.login_failed"})
    assert response.status_code == 200
    assert [e.action for e in response.context["object_list"]] == ["auth.login_failed"]


def test_platform_admin_role_reads_the_audit_log(client, tree, event):
    admin = UserFactory()
    grant(admin, Role.ADMIN, tree.prov)
    client.force_login(admin)
    assert client.get("/admin/audit/").status_code == 200


@pytest.mark.parametrize("who", ["coordinator", "leader"])
def test_other_roles_cannot_read_the_audit_log(client, event, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/audit/")
    assert response.status_code in {302, 403}
    assert client.get(f"/admin/audit/inspect/{event.pk}/").status_code in {302, 403}


def test_audit_log_cannot_be_added_to(client, event, superuser):
    client.force_login(superuser)
    before = AuditEvent.objects.count()
    assert client.get("/admin/audit/add/").status_code in {302, 403, 404}
    client.post("/admin/audit/add/", {"action": "auth.login"})
    assert AuditEvent.objects.count() == before


def test_audit_log_cannot_be_edited(client, event, superuser):
    client.force_login(superuser)
    url = f"/admin/audit/edit/{event.pk}/"
    assert client.get(url).status_code in {302, 403, 404}
    client.post(url, {"action": "auth.login"})
    event.refresh_from_db()
    assert event.action == AuditEvent.Action.EXPORT


def test_audit_log_cannot_be_deleted(client, event, superuser):
    client.force_login(superuser)
    url = f"/admin/audit/delete/{event.pk}/"
    assert client.get(url).status_code in {302, 403, 404}
    client.post(url)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
