"""Results for coordinators and leaders: scoped list with filters, attempt detail,
XLSX export with an audit event."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from assessments.services import attempt_answer_save, attempt_start, attempt_submit
from cms.models import AuditEvent
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

RESULTS = "/admin/assessments/results/"


def finished(user, quiz, answer="A"):
    attempt = attempt_start(quiz=quiz, user=user)
    attempt_answer_save(
        attempt_public_id=attempt.public_id,
        user=user,
        position=1,
        response=answer,
        seq=1,
    )
    return attempt_submit(attempt_public_id=attempt.public_id, user=user)


@pytest.fixture
def results(people):
    quiz = af.quiz([af.question()], title="职业道德测验")
    other = af.quiz([af.question()], title="法律监督考试")
    return {
        "A1": finished(people["A1"].user, quiz, "A"),
        "A2": finished(people["A2"].user, quiz, "B"),
        "B1": finished(people["B1"].user, quiz, "A"),
        "A1-other": finished(people["A1"].user, other, "A"),
        "quiz": quiz,
    }


def pks(response):
    return sorted(a.pk for a in response.context["page"].object_list)


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_results_are_scoped(client, results, role_user, request):
    client.force_login(request.getfixturevalue(role_user))
    response = client.get(RESULTS)
    assert response.status_code == 200
    assert pks(response) == sorted(
        [results["A1"].pk, results["A2"].pk, results["A1-other"].pk]
    )
    assert "乙市" not in response.content.decode()


def test_results_filters(client, results, coordinator):
    client.force_login(coordinator)
    quiz = results["quiz"]
    assert pks(client.get(RESULTS, {"quiz": quiz.pk})) == sorted(
        [results["A1"].pk, results["A2"].pk]
    )
    assert pks(client.get(RESULTS, {"passed": "no"})) == [results["A2"].pk]
    assert pks(client.get(RESULTS, {"unit": "甲二"})) == [results["A2"].pk]
    assert pks(client.get(RESULTS, {"q": "P-A2"})) == [results["A2"].pk]
    assert pks(client.get(RESULTS, {"status": "finished", "date_from": "2000-01-01"}))
    assert pks(client.get(RESULTS, {"date_to": "2000-01-01"})) == []


def test_results_query_count(
    client, people, coordinator, django_assert_max_num_queries
):
    quiz = af.quiz([af.question()], max_attempts=0)
    for code in ("A1", "A2", "CITY-A"):
        finished(people[code].user, quiz)
    client.force_login(coordinator)
    with django_assert_max_num_queries(40) as captured:
        client.get(RESULTS)
    few = len(captured.captured_queries)
    for _ in range(3):
        finished(people["A1"].user, quiz)
    with django_assert_max_num_queries(few):
        response = client.get(RESULTS)
    assert len(response.context["page"].object_list) == 6


def test_export_is_filtered_scoped_and_audited(client, results, coordinator):
    client.force_login(coordinator)
    response = client.get(RESULTS + "export.xlsx", {"quiz": results["quiz"].pk})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("姓名", "工号", "单位", "测验/考试")
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    assert sorted(r[1] for r in rows[1:]) == ["P-A1", "P-A2"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.detail["rows"] == 2
    assert event.detail["filters"] == {"quiz": str(results["quiz"].pk)}
    assert event.actor == coordinator


def test_attempt_detail_is_scoped(client, results, coordinator_b, coordinator):
    client.force_login(coordinator_b)
    assert client.get(f"{RESULTS}{results['A1'].pk}/").status_code in {403, 404}
    assert client.get(f"{RESULTS}{results['B1'].pk}/").status_code == 200
    client.force_login(coordinator)
    response = client.get(f"{RESULTS}{results['A1'].pk}/")
    assert response.status_code == 200


def test_own_attempts_stay_out_of_the_staff_screens(client, people, coordinator):
    # A coordinator who sits an exam whose review policy hides scores must not read
    # their own per-question marks in the results screen and retake it knowingly.
    people["A1"].user = coordinator
    people["A1"].save()
    quiz = af.quiz(
        [af.question()],
        review_score="never",
        review_correctness="never",
        max_attempts=3,
    )
    own = finished(coordinator, quiz)
    client.force_login(coordinator)
    assert own.pk not in pks(client.get(RESULTS))
    assert client.get(f"{RESULTS}{own.pk}/").status_code in {403, 404}


def test_editors_and_learners_see_no_results(client, results, learner, tree):
    from tests.factories import Role, UserFactory, grant

    editor = UserFactory(username="editor-r")
    grant(editor, Role.EDITOR, tree.prov)
    for user in (editor, learner):
        client.force_login(user)
        assert client.get(RESULTS).status_code in {302, 403}
        assert client.get(RESULTS + "export.xlsx").status_code in {302, 403}
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
