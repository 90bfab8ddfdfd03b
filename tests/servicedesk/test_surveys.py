"""Satisfaction surveys: asked on resolution, answered once by signed link, low ratings flagged."""

from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.servicedesk.models import Survey
from opsdesk.servicedesk.surveys import survey_from_token, survey_token
from tests.servicedesk.test_portal import _resolved

pytestmark = pytest.mark.django_db


def resolved_with_survey(alice, desk_agent):
    incident = _resolved(alice, desk_agent)
    outbox_deliver_due()
    return incident, Survey.objects.get(record_type="incident", record_id=incident.pk)


def test_resolution_asks_the_caller_once_with_a_link(alice, desk_agent):
    incident, survey = resolved_with_survey(alice, desk_agent)
    event = OutboxEvent.objects.get(topic="servicedesk.survey_requested")
    assert event.payload["incident_id"] == incident.pk
    assert event.payload["caller_id"] == alice.pk
    # The token carries its signing time, so compare what the link opens, not its text.
    path = event.payload["survey_url"].split("://", 1)[1].split("/", 1)[1]
    match = resolve("/" + path)
    assert match.view_name == "servicedesk:survey"
    assert survey_from_token(match.kwargs["token"]) == survey
    outbox_deliver_due()  # at-least-once delivery must not ask twice
    assert Survey.objects.count() == 1


def test_answer_without_sign_in_once_and_it_shows_on_the_ticket(client, alice, desk_agent):
    incident, survey = resolved_with_survey(alice, desk_agent)
    url = reverse("servicedesk:survey", args=[survey_token(survey)])
    assert b"How did we do" in client.get(url).content
    bad = client.post(url, {"rating": "9"})
    assert bad.status_code == 400
    client.post(url, {"rating": "4", "comment": "Quick and friendly"})
    again = client.post(url, {"rating": "1"})
    assert b"You rated" in again.content
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (4, "Quick and friendly")
    client.force_login(alice)
    page = client.get(reverse("servicedesk:ticket", args=[incident.pk])).content.decode()
    assert "You rated this 4 of 5" in page


def test_forged_and_expired_links_are_refused(client, alice, desk_agent):
    _, survey = resolved_with_survey(alice, desk_agent)
    token = survey_token(survey)
    assert client.get(reverse("servicedesk:survey", args=[token[:-2] + "xx"])).status_code == 404
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.post(reverse("servicedesk:survey", args=[token]), {"rating": "5"})
    assert expired.status_code == 410
    assert Survey.objects.get(pk=survey.pk).rating is None


def test_low_rating_tells_the_team_lead(client, alice, desk_agent):
    _, survey = resolved_with_survey(alice, desk_agent)
    client.post(reverse("servicedesk:survey", args=[survey_token(survey)]), {"rating": "2"})
    event = OutboxEvent.objects.get(topic="servicedesk.low_rating")
    assert event.payload["rating"] == 2 and event.payload["survey_id"] == survey.pk
    assert not OutboxEvent.objects.filter(topic="servicedesk.low_rating", payload__rating=4)


@pytest.mark.parametrize("pk", ["abc", "1.5", "-", "99999999999999999999999"])
def test_survey_api_answers_not_found_for_a_bad_id(client, alice, desk_agent, pk):
    resolved_with_survey(alice, desk_agent)
    for user in (alice, desk_agent):
        client.force_login(user)
        response = client.get(f"/api/servicedesk/surveys/{pk}/")
        assert response.status_code == 404
        assert "error" in response.json()


def test_survey_api_list_filters_refuse_bad_values_with_field_messages(client, alice, desk_agent):
    resolved_with_survey(alice, desk_agent)
    client.force_login(desk_agent)
    for query in ("incident=abc", "rating=abc", "ordering=nonsense", "page=abc"):
        response = client.get(f"/api/servicedesk/surveys/?{query}")
        assert response.status_code in (200, 400, 404), query
        if response.status_code != 200:
            assert "error" in response.json()


def test_survey_page_refuses_tampered_and_foreign_tokens(client, alice, desk_agent):
    from django.core import signing

    from opsdesk.servicedesk.surveys import SALT

    _, survey = resolved_with_survey(alice, desk_agent)
    good = survey_token(survey)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    tokens = [
        tampered,
        "abc",
        "x" * 300,
        signing.dumps({"survey": "abc"}, salt=SALT),
        signing.dumps({"survey": [1]}, salt=SALT),
        signing.dumps(["not", "a", "dict"], salt=SALT),
        signing.dumps({"survey": survey.pk}, salt="another.purpose"),
        signing.dumps({"survey": survey.pk + 1000}, salt=SALT),
    ]
    for token in tokens:
        for send in (client.get, client.post):
            response = send(reverse("servicedesk:survey", args=[token]), {"rating": "5"})
            assert response.status_code == 404, token
            assert b"not valid" in response.content
    survey.refresh_from_db()
    assert survey.rating is None
