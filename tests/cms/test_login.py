"""Login through allauth: by username or e-mail, no sign-up, rate limits, audit."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.urls import reverse

from cms.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

User = get_user_model()
LOGIN = reverse("account_login")
WRONG = "wrong-password-123"


def logged_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def user(db):
    return UserFactory(username="310100001", email="zhang@example.cn")


def login(client, login, password=PASSWORD):
    return client.post(LOGIN, {"login": login, "password": password})


def test_login_by_username(client, user):
    response = login(client, "310100001")
    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    assert logged_in_as(client) == str(user.pk)


def test_login_by_email(client, user):
    response = login(client, "zhang@example.cn")
    assert response.status_code == 302
    assert logged_in_as(client) == str(user.pk)


def test_wrong_password_is_refused(client, user):
    response = login(client, "310100001", WRONG)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert logged_in_as(client) is None


def test_inactive_user_cannot_log_in(client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    login(client, "310100001")
    assert logged_in_as(client) is None


def test_roster_user_without_password_cannot_log_in(client, db):
    person = UserFactory(username="310100002")
    person.set_unusable_password()
    person.save(update_fields=["password"])
    login(client, "310100002", "")
    login(client, "310100002", "!")
    assert logged_in_as(client) is None


def test_signup_is_closed(client, db):
    before = User.objects.count()
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert "form" not in (page.context or {}) or page.context.get("form") is None
    response = client.post(
        reverse("account_signup"),
        {
            "username": "intruder",
            "email": "intruder@example.cn",
            "password1": "a-long-password-2026",
            "password2": "a-long-password-2026",
        },
    )
    assert response.status_code in {200, 302, 403}
    assert User.objects.count() == before
    assert not User.objects.filter(username="intruder").exists()
    assert logged_in_as(client) is None


def _allowed_failures() -> int:
    spec = settings.ACCOUNT_RATE_LIMITS["login_failed"]
    # "5/5m/ip,5/5m/key": the smallest count is the one that bites first.
    return min(int(part.split("/")[0]) for part in spec.split(","))


def _refusal_code(response) -> list[str]:
    return [e.code for e in response.context["form"].non_field_errors().as_data()]


def test_rate_limit_after_failed_logins(client, user):
    allowed = _allowed_failures()
    for _ in range(allowed):
        response = login(client, "310100001", WRONG)
        assert response.status_code == 200
        assert "too_many_login_attempts" not in _refusal_code(response)
    response = login(client, "310100001", PASSWORD)
    assert response.status_code == 200
    assert _refusal_code(response) == ["too_many_login_attempts"]
    assert logged_in_as(client) is None


def test_rate_limit_covers_the_email_too(client, user):
    for _ in range(_allowed_failures()):
        login(client, "zhang@example.cn", WRONG)
    response = login(client, "zhang@example.cn", PASSWORD)
    assert _refusal_code(response) == ["too_many_login_attempts"]
    assert logged_in_as(client) is None


def test_rate_limit_per_ip_covers_other_accounts(client, user):
    other = UserFactory(username="other")
    for n in range(_allowed_failures()):
        login(client, f"guess{n}", WRONG)
    response = login(client, other.username, PASSWORD)
    assert _refusal_code(response) == ["too_many_login_attempts"]


def test_a_few_failures_do_not_lock_out(client, user):
    for _ in range(_allowed_failures() - 1):
        login(client, "310100001", WRONG)
    login(client, "310100001", PASSWORD)
    assert logged_in_as(client) == str(user.pk)


def test_successful_login_is_audited(client, user):
    login(client, "310100001")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert event.actor == user
    assert event.actor_label == "310100001"
    assert event.ip_address == "127.0.0.1"
    assert PASSWORD not in str(model_to_dict(event))


@pytest.mark.parametrize("typed", ["310100001", "zhang@example.cn", "nobody"])
def test_failed_login_is_audited_without_password(client, user, typed):
    login(client, typed, WRONG)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert events.count() == 1
    event = events.get()
    assert event.actor is None
    assert event.actor_label == typed
    assert event.ip_address == "127.0.0.1"
    for event_row in AuditEvent.objects.values():
        assert WRONG not in str(event_row)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


def test_logout_is_audited(client, user):
    client.force_login(user)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert logged_in_as(client) is None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGOUT, actor=user
    ).exists()


def test_ip_address_comes_from_the_trusted_proxy_header(client, user, settings):
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    client.post(
        LOGIN,
        {"login": "310100001", "password": PASSWORD},
        HTTP_X_REAL_IP="10.1.2.3",
    )
    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN).ip_address == (
        "10.1.2.3"
    )


def test_forged_proxy_header_is_ignored_without_a_proxy(client, user):
    """Without a configured proxy header (dev, direct exposure) X-Real-IP is the
    client's word and must not be believed."""
    client.post(
        LOGIN,
        {"login": "310100001", "password": PASSWORD},
        HTTP_X_REAL_IP="10.1.2.3",
    )
    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN).ip_address == (
        "127.0.0.1"
    )


def test_rate_limit_is_per_client_behind_the_proxy(client, user, settings):
    """Behind the reverse proxy every request has the proxy's REMOTE_ADDR; the proxy
    passes the client in X-Real-IP (prod settings trust it). Per-IP limits must count
    clients, or five typos anywhere lock every user out of the platform."""
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    other = UserFactory(username="310100099")
    for n in range(_allowed_failures()):
        client.post(
            LOGIN, {"login": f"guess{n}", "password": WRONG}, HTTP_X_REAL_IP="10.0.0.1"
        )
    response = client.post(
        LOGIN,
        {"login": other.username, "password": PASSWORD},
        HTTP_X_REAL_IP="10.0.0.2",
    )
    assert response.status_code == 302, _refusal_code(response)
    assert logged_in_as(client) == str(other.pk)


@pytest.mark.parametrize("path", ["/admin/login/", "/_util/login/"])
def test_other_login_forms_do_not_escape_the_rate_limit(client, user, path):
    """Wagtail's own login forms must not be a way around allauth's limits."""
    for _ in range(_allowed_failures()):
        login(client, "310100001", WRONG)
    client.post(path, {"username": "310100001", "password": PASSWORD})
    assert logged_in_as(client) is None
