"""The home page is public and offers each role its own entry points."""

from django.urls import reverse


def test_home_is_public(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["panels"] == []


def test_learner_gets_only_their_record(client, learner):
    client.force_login(learner)
    urls = {panel["url"] for panel in client.get("/").context["panels"]}
    assert urls == {reverse("training:my_record")}


def test_coordinator_gets_people_units_and_roster(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/")
    urls = {panel["url"] for panel in response.context["panels"]}
    assert {
        reverse("training:my_record"),
        reverse("training:roster_upload"),
        reverse("training:assign"),
        reverse("training:people_list"),
        reverse("training:unit_list"),
    } == urls
    assert reverse("training:roster_upload") in response.content.decode()


def test_leader_gets_no_roster_upload(client, leader):
    client.force_login(leader)
    urls = {panel["url"] for panel in client.get("/").context["panels"]}
    assert reverse("training:people_list") in urls
    assert reverse("training:roster_upload") not in urls
