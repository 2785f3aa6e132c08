"""The notifications page: own list only, mark read, mark all read, unread count."""

import pytest
from django.urls import reverse

from training.notifications.models import Notification


def _note(user, key, **extra):
    return Notification.objects.create(
        user=user, kind="due_soon", title=f"提醒 {key}", dedupe_key=key, **extra
    )


@pytest.fixture
def notes(learner, coordinator):
    return {
        "mine": _note(learner, "a", url=reverse("training:my_record")),
        "mine2": _note(learner, "b"),
        "theirs": _note(coordinator, "c"),
    }


def test_list_shows_only_own(client, learner, notes, django_assert_max_num_queries):
    client.force_login(learner)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("training:notification_list"))
    assert response.status_code == 200
    page = response.context["page"]
    assert {n.pk for n in page.object_list} == {notes["mine"].pk, notes["mine2"].pk}
    assert response.context["unread"] == 2
    assert b"is-unread" in response.content
    assert f'id="notification-{notes["theirs"].pk}"'.encode() not in response.content


def test_read_redirects_to_its_url(client, learner, notes):
    client.force_login(learner)
    response = client.post(
        reverse("training:notification_read", args=[notes["mine"].pk])
    )
    assert response.status_code == 302
    assert response.url == reverse("training:my_record")
    notes["mine"].refresh_from_db()
    assert notes["mine"].read_at is not None


def test_read_without_url_goes_back_to_the_list(client, learner, notes):
    client.force_login(learner)
    response = client.post(
        reverse("training:notification_read", args=[notes["mine2"].pk])
    )
    assert response.url == reverse("training:notification_list")


def test_external_url_is_not_followed(client, learner):
    note = _note(learner, "x", url="https://evil.example/")
    client.force_login(learner)
    response = client.post(reverse("training:notification_read", args=[note.pk]))
    assert response.url == reverse("training:notification_list")


def test_another_users_notification_is_404(client, coordinator_b, notes):
    client.force_login(coordinator_b)
    response = client.post(
        reverse("training:notification_read", args=[notes["mine"].pk])
    )
    assert response.status_code == 404
    notes["mine"].refresh_from_db()
    assert notes["mine"].read_at is None


def test_read_needs_post(client, learner, notes):
    client.force_login(learner)
    response = client.get(
        reverse("training:notification_read", args=[notes["mine"].pk])
    )
    assert response.status_code == 405


def test_mark_all_read_and_count(client, learner, notes):
    client.force_login(learner)
    url = reverse("training:notification_unread_count")
    assert client.get(url).json() == {"unread": 2}
    client.post(reverse("training:notification_read_all"))
    assert client.get(url).json() == {"unread": 0}
    notes["theirs"].refresh_from_db()
    assert notes["theirs"].read_at is None


def test_anonymous_refused(client, notes):
    for name in ("training:notification_list", "training:notification_unread_count"):
        response = client.get(reverse(name))
        assert response.status_code == 302
