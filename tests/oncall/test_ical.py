"""Calendar feeds: valid RFC 5545 text, and a secret link or a session to read them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.testing.factories import TeamFactory, requester
from opsdesk.oncall import ical, services
from tests.oncall.factories import LayerFactory, ScheduleFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota():
    ann, bob = staff(display_name="Ann Ångström, on call; really"), staff(display_name="Bob")
    team = TeamFactory(name="Network Operations")
    schedule = ScheduleFactory(team=team, name="Primary")
    LayerFactory(
        schedule=schedule,
        people=[ann, bob],
        turn="daily",
        rotation_start=timezone.now() - timedelta(days=30),
    )
    return team, ann, bob


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_feed_text_is_valid_rfc5545():
    long_name = "Ünïcödé " * 20
    text = ical.calendar(
        name="Team, with; specials\\",
        events=[
            ical.Event(
                uid="x@opsdesk",
                start=datetime(2025, 1, 6, 9, tzinfo=UTC),
                end=datetime(2025, 1, 13, 9, tzinfo=UTC),
                summary=long_name,
                description="line one\nline two",
            )
        ],
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith(
        "END:VCALENDAR\r\n"
    )
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical)
    assert "\n" not in text.replace("\r\n", "")
    lines = unfold(text)
    assert "X-WR-CALNAME:Team\\, with\\; specials\\\\" in lines
    assert f"SUMMARY:{long_name}" in lines
    assert "DESCRIPTION:line one\\nline two" in lines
    assert "DTSTART:20250106T090000Z" in lines and "DTSTAMP:20250101T000000Z" in lines


def test_team_feed_with_the_secret_link(rota, client):
    team, ann, _bob = rota
    secret = services.feed_token_reset(user=ann)
    response = client.get(reverse("oncall:ical-team", args=[team.pk]), {"token": secret})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    lines = unfold(response.content.decode())
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert any("Bob" in s for s in summaries)
    assert any("Ann Ångström\\, on call\\; really" in s for s in summaries)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") > 20


def test_user_feed_holds_only_that_persons_shifts(rota, client):
    _team, ann, bob = rota
    client.force_login(bob)
    text = client.get(reverse("oncall:ical-user", args=[ann.pk])).content.decode()
    summaries = [line for line in unfold(text) if line.startswith("SUMMARY:")]
    assert summaries and all("Ann" in s for s in summaries)


def test_wrong_or_missing_token_is_refused(rota, client):
    team, ann, _bob = rota
    services.feed_token_reset(user=ann)
    url = reverse("oncall:ical-team", args=[team.pk])
    assert client.get(url, {"token": "not-the-secret"}).status_code == 403
    assert client.get(url).status_code == 403
    # A wrong token is refused even in a signed-in browser: the link itself is bad.
    client.force_login(ann)
    assert client.get(url, {"token": "not-the-secret"}).status_code == 403


def test_requesters_cannot_read_feeds_even_with_a_token(rota, client):
    team, *_ = rota
    secret = services.feed_token_reset(user=requester())
    url = reverse("oncall:ical-team", args=[team.pk])
    assert client.get(url, {"token": secret}).status_code == 403
