"""The read-only enrolment admin shows only people in the viewer's scope."""

import pytest
from django.urls import reverse

from courses.services import enrollment_create

pytestmark = pytest.mark.django_db


def test_enrolment_admin_is_scoped(client, course, people, coordinator, coordinator_b):
    enrollment = enrollment_create(user=people["A1"].user, course=course)
    inspect = reverse("enrolments:inspect", args=[enrollment.pk])

    client.force_login(coordinator)
    assert people["A1"].user.full_name in client.get(reverse("enrolments:index")).text
    assert client.get(inspect).status_code == 200

    client.force_login(coordinator_b)
    index = client.get(reverse("enrolments:index"))
    assert index.status_code == 200
    assert people["A1"].user.full_name not in index.text
    assert client.get(inspect).status_code == 404
