"""TOTP is required for coordinators, leaders, editors and admins when enforced."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse

from cms.models import AuditEvent
from tests.factories import PASSWORD, Role, UserFactory, grant

LOGIN = reverse("account_login")
ACTIVATE = reverse("mfa_activate_totp")
AUTHENTICATE = reverse("mfa_authenticate")


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def login(client, user):
    return client.post(LOGIN, {"login": user.username, "password": PASSWORD})


def logged_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture(autouse=True)
def _tolerant_totp(settings):
    # A code computed at the end of a 30 s step must still pass a moment later.
    settings.MFA_TOTP_TOLERANCE = 1


@pytest.fixture
def enforced(settings):
    settings.MFA_ENFORCED = True


@pytest.fixture
def editor(tree):
    user = UserFactory(username="editor")
    grant(user, Role.EDITOR, tree.prov)
    return user


@pytest.mark.parametrize("who", ["coordinator", "leader", "editor", "superuser"])
@pytest.mark.parametrize("path", ["/", "/people/", "/me/", "/admin/", "/roster/"])
def test_privileged_user_without_totp_must_activate_it(
    client, enforced, request, who, path
):
    user = request.getfixturevalue(who)
    response = login(client, user)
    assert response.status_code == 302
    assert logged_in_as(client) == str(user.pk)
    page = client.get(path)
    assert page.status_code == 302
    assert page["Location"] == ACTIVATE


def test_activation_page_itself_is_reachable(client, enforced, coordinator):
    login(client, coordinator)
    response = client.get(ACTIVATE)
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        # allauth may ask to re-enter the password first; that page is reachable too.
        assert response["Location"] != ACTIVATE
        assert client.get(response["Location"]).status_code == 200


def test_logout_still_works_without_totp(client, enforced, coordinator):
    login(client, coordinator)
    client.post(reverse("account_logout"))
    assert logged_in_as(client) is None


def test_healthz_is_not_redirected(client, enforced, coordinator):
    client.force_login(coordinator)
    assert client.get("/healthz").status_code == 200


def test_learner_is_not_redirected(client, enforced, learner):
    client.force_login(learner)
    response = client.get("/me/")
    assert response.status_code == 200


def test_nobody_is_redirected_when_not_enforced(client, settings, coordinator):
    settings.MFA_ENFORCED = False
    client.force_login(coordinator)
    assert client.get("/people/").status_code == 200


def test_login_with_totp_asks_for_the_code(client, enforced, coordinator):
    secret = with_totp(coordinator)
    response = login(client, coordinator)
    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE
    # Password alone does not log in.
    assert logged_in_as(client) is None
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()
    finished = client.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert finished.status_code == 302
    assert logged_in_as(client) == str(coordinator.pk)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN, actor=coordinator
    ).exists()
    assert client.get("/people/").status_code == 200


def test_wrong_code_does_not_log_in(client, enforced, coordinator):
    secret = with_totp(coordinator)
    login(client, coordinator)
    good = totp_code(secret)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(AUTHENTICATE, {"code": wrong})
    assert response.status_code == 200
    assert logged_in_as(client) is None


def test_code_is_asked_even_when_not_enforced(client, settings, learner):
    settings.MFA_ENFORCED = False
    with_totp(learner)
    response = login(client, learner)
    assert response["Location"] == AUTHENTICATE
    assert logged_in_as(client) is None


def test_activating_totp_unlocks_the_site_and_is_audited(
    client, enforced, coordinator, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    login(client, coordinator)
    assert client.get("/people/")["Location"] == ACTIVATE
    # allauth asks for the password once more before changing authenticators.
    response = client.get(ACTIVATE)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        again = client.post(response["Location"], {"password": PASSWORD})
        assert again.status_code == 302
        assert again["Location"] == ACTIVATE
    assert client.get(ACTIVATE).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    # allauth sends authenticator_added once the activation has committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(
        user=coordinator, type=Authenticator.Type.TOTP
    ).exists()
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.MFA_ACTIVATED, detail__type="totp"
    )
    assert event.actor == coordinator
    assert client.get("/people/").status_code == 200


def test_wagtail_admin_login_cannot_bypass_totp(client, enforced, coordinator):
    """Wagtail ships its own login form at /admin/login/. With TOTP set up, a
    password alone must not give a session there either."""
    with_totp(coordinator)
    client.post(
        "/admin/login/", {"username": coordinator.username, "password": PASSWORD}
    )
    assert logged_in_as(client) is None


def test_wagtail_frontend_login_cannot_bypass_totp(client, enforced, coordinator):
    with_totp(coordinator)
    client.post(
        "/_util/login/", {"username": coordinator.username, "password": PASSWORD}
    )
    assert logged_in_as(client) is None


def test_passed_check_is_remembered_then_rechecked(
    client, enforced, tree, learner, monkeypatch
):
    from training.org import middleware

    calls = []
    real = middleware.user_requires_mfa
    monkeypatch.setattr(
        middleware, "user_requires_mfa", lambda user: calls.append(1) or real(user)
    )
    client.force_login(learner)
    assert client.get("/me/").status_code == 200
    assert client.get("/me/").status_code == 200
    # The second request did not check again …
    assert len(calls) == 1
    # … until the recheck time: a role granted meanwhile is enforced then.
    grant(learner, Role.COORDINATOR, tree.prov)
    session = client.session
    session["_mfa_ok_until"] = 0
    session.save()
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
