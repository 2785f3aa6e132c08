"""The API token screens in the Wagtail admin: list, create (key shown once),
revoke with a reason; superusers and admin-role holders only, within their
subtree."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from tests.factories import Role, UserFactory, grant
from tests.training.api.conftest import EN, make_token
from training.api.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(tree):
    user = UserFactory(username="admin-a", full_name="甲市平台管理员")
    grant(user, Role.ADMIN, tree.city_a)
    return user


def test_create_shows_the_key_once(client, tree, superuser):
    client.force_login(superuser)
    url = reverse("training_api_tokens:new")
    assert client.get(url, **EN).status_code == 200
    response = client.post(
        url,
        {"name": "人事系统", "unit": tree.city_a.pk, "can_write": "on"},
        **EN,
    )
    token = ApiToken.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "training_api_tokens:created", args=[token.pk]
    )
    page = client.get(response["Location"], **EN)
    html = page.content.decode()
    key = page.context["key"]
    assert key in html and "will not be shown again" in html
    assert hashlib.sha256(key.encode()).hexdigest() == token.key_hash
    assert token.can_write and token.unit == tree.city_a
    assert token.created_by == superuser
    again = client.get(response["Location"], **EN)
    assert again.status_code == 302
    assert (
        key
        not in client.get(reverse("training_api_tokens:list"), **EN).content.decode()
    )


def test_list_and_revoke(client, tree, superuser):
    token, _key = make_token(tree.city_a, actor=superuser)
    client.force_login(superuser)
    html = client.get(reverse("training_api_tokens:list"), **EN).content.decode()
    assert token.prefix in html and 'data-status="active"' in html
    url = reverse("training_api_tokens:revoke", args=[token.pk])
    response = client.post(url, {"reason": ""}, **EN)
    assert response.status_code == 200  # the reason is required
    response = client.post(url, {"reason": "系统停用"}, **EN)
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoke_reason == "系统停用"
    html = client.get(reverse("training_api_tokens:list"), **EN).content.decode()
    assert 'data-status="revoked"' in html and "系统停用" in html


def test_admin_role_is_limited_to_its_subtree(client, tree, admin_a, superuser):
    other, _key = make_token(tree.city_b, actor=superuser, name="乙市")
    client.force_login(admin_a)
    page = client.get(reverse("training_api_tokens:new"), **EN)
    units = set(page.context["form"].fields["unit"].queryset)
    assert units == {tree.city_a, tree.a1, tree.a2}
    response = client.post(
        reverse("training_api_tokens:new"), {"name": "x", "unit": tree.city_b.pk}, **EN
    )
    assert (
        response.status_code == 200 and not ApiToken.objects.filter(name="x").exists()
    )
    assert (
        "乙市"
        not in client.get(reverse("training_api_tokens:list"), **EN).content.decode()
    )
    response = client.get(reverse("training_api_tokens:revoke", args=[other.pk]), **EN)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("coordinator", 403), ("leader", 403), ("learner", 302)]
)
def test_non_admins_get_403(client, request, tree, superuser, who, status):
    """Coordinators and leaders reach the admin but not these screens; a learner
    is sent to the login page by Wagtail before any of them."""
    token, _key = make_token(tree.city_a, actor=superuser)
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in (
        reverse("training_api_tokens:list"),
        reverse("training_api_tokens:new"),
        reverse("training_api_tokens:revoke", args=[token.pk]),
    ):
        response = client.get(url, **EN)
        assert response.status_code == status, url
        if status == 302:
            assert response["Location"].startswith("/accounts/login/")
    response = client.post(
        reverse("training_api_tokens:new"), {"name": "x", "unit": tree.city_a.pk}
    )
    assert not ApiToken.objects.filter(name="x").exists()
