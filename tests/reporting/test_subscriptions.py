"""Scheduled reports: when a subscription falls due (on the subscriber's wall clock, across
daylight saving), the hourly run's mail with its table and inline PNG chart in the
development mail sink, the one-click stop link, and the moves a subscription may make."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import TeamFactory, admin, agent, requester
from opsdesk.notifications.mailer import deliveries_send_due
from opsdesk.notifications.models import SentMail
from opsdesk.reporting.models import (
    Frequency,
    RecordFact,
    ReportSubscription,
    SavedReport,
    SubscriptionState,
)
from opsdesk.reporting.periods import local_day
from opsdesk.reporting.services.reports import (
    next_due,
    saved_report_create,
    stop_token,
    subscription_create,
    subscription_from_token,
    subscription_transition,
    subscriptions_run_due,
)
from opsdesk.reporting.tasks import report_subscriptions_hourly

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = 0


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# Weekly on Monday at 08:00 on the subscriber's clock (and one monthly row). Europe moves its
# clocks on Sun 29 Mar 2026 (CET +1 → CEST +2) and Sun 25 Oct 2026 (back to +1); New York on
# Sun 8 Mar 2026 (EST −5 → EDT −4).
SCHEDULE = [
    # zone, frequency, weekday, day, hour, after (UTC), next due (UTC)
    # Sunday noon → the next morning, 08:00 CET = 07:00 UTC.
    (BERLIN, "weekly", MONDAY, None, 8, utc(2026, 3, 22, 12), utc(2026, 3, 23, 7)),
    # A minute before it is due → that same morning.
    (BERLIN, "weekly", MONDAY, None, 8, utc(2026, 3, 23, 6, 59), utc(2026, 3, 23, 7)),
    # Exactly when due → a week on; across the spring change 08:00 CEST is 06:00 UTC.
    (BERLIN, "weekly", MONDAY, None, 8, utc(2026, 3, 23, 7), utc(2026, 3, 30, 6)),
    # Across the autumn change: 08:00 CEST (06:00 UTC) → 08:00 CET (07:00 UTC).
    (BERLIN, "weekly", MONDAY, None, 8, utc(2026, 10, 19, 6), utc(2026, 10, 26, 7)),
    # New York's change is three weeks earlier: Fri 6 Mar → Mon 9 Mar 08:00 EDT = 12:00 UTC.
    (NEW_YORK, "weekly", MONDAY, None, 8, utc(2026, 3, 6, 15), utc(2026, 3, 9, 12)),
    # Sunday 02:00 does not exist in Berlin on 29 Mar: the clocks jump to 03:00 CEST = 01:00 UTC.
    (BERLIN, "weekly", 6, None, 2, utc(2026, 3, 28, 12), utc(2026, 3, 29, 1)),
    # Monthly on the 1st at 08:00 London: 1 Mar is GMT (08:00 UTC), 1 Apr is BST (07:00 UTC).
    (LONDON, "monthly", None, 1, 8, utc(2026, 3, 1, 8), utc(2026, 4, 1, 7)),
    # Monthly on the 28th in December rolls into January of the next year.
    (LONDON, "monthly", None, 28, 8, utc(2026, 12, 28, 9), utc(2027, 1, 28, 8)),
]


@pytest.mark.parametrize(("zone", "frequency", "weekday", "day", "hour", "after", "due"), SCHEDULE)
def test_next_due_times(zone, frequency, weekday, day, hour, after, due):
    assert (
        next_due(
            frequency=frequency,
            weekday=weekday,
            day_of_month=day,
            hour=hour,
            zone=zone,
            after=after,
        )
        == due
    )


def test_a_subscription_is_due_at_the_subscribers_local_hour():
    berliner = agent(time_zone="Europe/Berlin")
    report = saved_report_create(actor=berliner, name="MTTR", query={"metric": "mttr"})
    subscription = subscription_create(
        actor=berliner,
        report=report,
        frequency=Frequency.WEEKLY,
        weekday=MONDAY,
        hour=8,
        now=utc(2026, 3, 22, 12),
    )
    assert subscription.next_due_at == utc(2026, 3, 23, 7)
    # The run an hour early sends nothing; on time it falls due and moves to the week after,
    # 08:00 CEST after the change = 06:00 UTC.
    assert subscriptions_run_due(now=utc(2026, 3, 23, 6)) == 0
    assert subscriptions_run_due(now=utc(2026, 3, 23, 7)) == 1
    subscription.refresh_from_db()
    assert subscription.next_due_at == utc(2026, 3, 30, 6)
    assert subscriptions_run_due(now=utc(2026, 3, 23, 8)) == 0


def test_a_run_missed_for_weeks_sends_once():
    user = agent(time_zone="Europe/Berlin")
    report = saved_report_create(actor=user, name="MTTR", query={"metric": "mttr"})
    subscription_create(
        actor=user, report=report, frequency="weekly", weekday=MONDAY, now=utc(2026, 3, 1)
    )
    # Due Mon 2 Mar; the worker comes back on Wed 25 Mar: one mail, the next on Mon 30 Mar.
    assert subscriptions_run_due(now=utc(2026, 3, 25, 9)) == 1
    assert ReportSubscription.objects.get().next_due_at == utc(2026, 3, 30, 6)


@pytest.fixture
def grouped_report(db, settings):
    # The development mail sink, as an install without a mail server has it.
    settings.EMAIL_BACKEND = "opsdesk.notifications.sink.SinkBackend"
    network = TeamFactory(name="Network Operations")
    opened = timezone.now().replace(microsecond=0) - timedelta(days=2)
    RecordFact.objects.bulk_create(
        RecordFact(
            record_type="incident",
            record_id=n,
            number=f"INC{n:07}",
            state="resolved",
            is_open=False,
            team=network,
            opened_at=opened,
            opened_on=local_day(opened),
            first_resolved_at=opened + timedelta(hours=n),
            first_resolved_on=local_day(opened + timedelta(hours=n)),
            resolve_seconds=3600 * n,
            refreshed_at=opened,
        )
        for n in (1, 2)
    )
    owner = agent(username="dana", time_zone="Europe/Berlin")
    report = saved_report_create(
        actor=owner,
        name="MTTR by team",
        query={"metric": "mttr", "period": "7", "group_by": "team"},
    )
    return owner, report


def _send_everything():
    later = timezone.now() + timedelta(minutes=5)
    outbox_deliver_due(now=later)
    deliveries_send_due(now=later)


def test_the_hourly_task_mails_the_table_and_the_chart_inline(grouped_report, client):
    owner, report = grouped_report
    # Subscribed eight days ago: the weekly mail fell due within the last week.
    subscription = subscription_create(
        actor=owner,
        report=report,
        frequency="weekly",
        weekday=MONDAY,
        now=timezone.now() - timedelta(days=8),
    )
    report_subscriptions_hourly()
    _send_everything()

    sent = SentMail.objects.get()
    assert sent.to == owner.email and sent.subject == "Weekly report: MTTR by team"
    mime = message_from_string(sent.raw, policy=policy.default)
    assert mime.get_content_type() == "multipart/alternative"
    text, related = mime.get_payload()
    assert (text.get_content_type(), related.get_content_type()) == (
        "text/plain",
        "multipart/related",
    )
    html, image = related.get_payload()
    assert image.get_content_type() == "image/png"
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    content_id = image["Content-ID"].strip("<>")
    body = html.get_content()
    assert f'src="cid:{content_id}"' in body
    # The table: Network Operations, two records of 1 h and 2 h → mean 1 h 30 min.
    assert "Network Operations" in body and "1 h 30 min" in body
    assert "Network Operations" in text.get_content()
    # One-click stop (RFC 8058): the header names the same signed link the mail shows.
    link = re.fullmatch(r"<(.+)>", mime["List-Unsubscribe"].strip()).group(1)
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in body
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert subscription_from_token(token).pk == subscription.pk
    subscription.refresh_from_db()
    assert subscription.last_sent_at is not None

    # An administrator reads it on the "Sent mail" page.
    client.force_login(admin())
    listing = client.get(reverse("notifications:sent-mail-list")).content.decode()
    assert "Weekly report: MTTR by team" in listing


def test_a_dashboard_subscription_mails_each_section_with_its_chart(grouped_report):
    owner, _ = grouped_report
    subscription_create(
        actor=owner,
        dashboard="service-desk",
        frequency="monthly",
        day_of_month=1,
        now=timezone.now() - timedelta(days=40),
    )
    report_subscriptions_hourly()
    _send_everything()
    mime = message_from_string(SentMail.objects.get().raw, policy=policy.default)
    assert mime["Subject"] == "Monthly report: Service desk"
    images = [part for part in mime.walk() if part.get_content_type() == "image/png"]
    html = mime.get_body(("html",)).get_content()
    assert images and all(f"cid:{p['Content-ID'].strip('<>')}" in html for p in images)


def test_a_stopped_subscription_is_not_mailed(grouped_report):
    owner, report = grouped_report
    subscription = subscription_create(
        actor=owner,
        report=report,
        frequency="weekly",
        weekday=MONDAY,
        now=timezone.now() - timedelta(days=8),
    )
    subscriptions_run_due()  # due: the fact is published
    subscription_transition(actor=owner, subscription=subscription, action="stop")
    _send_everything()  # stopped before the handler ran: nothing goes out
    assert not SentMail.objects.exists()


def test_the_stop_link_works_once_without_signing_in(grouped_report, client):
    owner, report = grouped_report
    subscription = subscription_create(actor=owner, report=report, frequency="weekly", weekday=0)
    url = reverse("reporting:subscription-stop", args=[stop_token(subscription)])

    shown = client.get(url)  # a mail scanner following the link stops nothing
    assert shown.status_code == 200 and "Stop these mails" in shown.content.decode()
    assert ReportSubscription.objects.get().state == SubscriptionState.ACTIVE

    stopped = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200
    assert "MTTR by team is no longer mailed to" in stopped.content.decode()
    assert ReportSubscription.objects.get().state == SubscriptionState.STOPPED

    again = client.post(url)
    assert again.status_code == 409 and "already stopped" in again.content.decode()

    # Resumed, the old mail's link no longer stops it.
    subscription_transition(actor=owner, subscription=subscription, action="resume")
    assert client.post(url).status_code == 409
    assert ReportSubscription.objects.get().state == SubscriptionState.ACTIVE


@pytest.mark.parametrize("token", ["not-a-token", "eyJzIjoxLCJnIjoxfQ:1abcde:forged"])
def test_a_bad_stop_link_is_refused(client, grouped_report, token):
    owner, report = grouped_report
    subscription_create(actor=owner, report=report, frequency="weekly", weekday=0)
    response = client.post(reverse("reporting:subscription-stop", args=[token]))
    assert response.status_code == 400 and "This link is not valid." in response.content.decode()
    assert client.get(reverse("reporting:subscription-stop", args=[token])).status_code == 400
    assert ReportSubscription.objects.get().state == SubscriptionState.ACTIVE


# state × action → what follows; anything not listed as a new state is refused.
TRANSITIONS = [
    ("active", "stop", "stopped"),
    ("active", "resume", None),
    ("active", "delete", None),
    ("stopped", "resume", "active"),
    ("stopped", "stop", None),
]


@pytest.mark.parametrize(("before", "action", "after"), TRANSITIONS)
def test_subscription_states(grouped_report, before, action, after):
    owner, report = grouped_report
    subscription = subscription_create(actor=owner, report=report, frequency="weekly", weekday=0)
    if before == "stopped":
        subscription = subscription_transition(
            actor=owner, subscription=subscription, action="stop"
        )
    if after is None:
        with pytest.raises(TransitionRefused):
            subscription_transition(actor=owner, subscription=subscription, action=action)
        assert ReportSubscription.objects.get().state == before
        return
    changed = subscription_transition(actor=owner, subscription=subscription, action=action)
    assert changed.state == after
    # A stopped subscription has no next mail; a resumed one has its next from now on.
    assert (changed.next_due_at is None) == (after == "stopped")


def test_only_the_subscriber_changes_a_subscription(grouped_report):
    owner, report = grouped_report
    subscription = subscription_create(actor=owner, report=report, frequency="weekly", weekday=0)
    with pytest.raises(NotPermitted):
        subscription_transition(actor=agent(), subscription=subscription, action="stop")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"frequency": "daily", "weekday": "0", "hour": "8"}, "Select a valid choice"),
        ({"frequency": "weekly", "weekday": "", "hour": "8"}, "Choose the day of the week."),
        (
            {"frequency": "monthly", "day_of_month": "", "hour": "8"},
            "Choose a day from 1 to 28",
        ),
        ({"frequency": "weekly", "weekday": "0", "hour": "25"}, "Select a valid choice"),
    ],
)
def test_bad_subscription_input_is_refused_and_saves_nothing(client, grouped_report, data, message):
    owner, report = grouped_report
    client.force_login(owner)
    response = client.post(
        reverse("reporting:subscription-create"), {"report": report.pk, **data}, follow=True
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not ReportSubscription.objects.exists()


def test_subscribing_from_a_saved_report_confirms_the_first_mail(client, grouped_report):
    owner, report = grouped_report
    client.force_login(owner)
    response = client.post(
        reverse("reporting:subscription-create"),
        {"report": report.pk, "frequency": "weekly", "weekday": "0", "hour": "8"},
        follow=True,
    )
    page = response.content.decode()
    subscription = ReportSubscription.objects.get()
    first = subscription.next_due_at.astimezone(BERLIN)
    assert (first.weekday(), first.hour, first.minute) == (MONDAY, 8, 0)
    assert "You are subscribed to MTTR by team: every Monday at 08:00." in page
    assert f"The first mail comes Monday {first.day} {first:%b %Y} at 08:00." in page
    assert "Every Monday at 08:00" in page and "Active" in page


def test_a_private_report_of_another_agent_cannot_be_subscribed(client, grouped_report):
    _, report = grouped_report
    client.force_login(agent())
    response = client.post(
        reverse("reporting:subscription-create"),
        {"report": report.pk, "frequency": "weekly", "weekday": "0", "hour": "8"},
    )
    assert response.status_code == 404
    with pytest.raises(NotPermitted):
        subscription_create(actor=agent(), report=report, frequency="weekly", weekday=0)
    assert not ReportSubscription.objects.exists()


def test_requesters_have_no_subscriptions(client, grouped_report):
    client.force_login(requester())
    assert client.get(reverse("reporting:subscriptions")).status_code == 403
    response = client.post(
        reverse("reporting:subscription-create"),
        {"dashboard": "service-desk", "frequency": "weekly", "weekday": "0", "hour": "8"},
    )
    assert response.status_code == 403
    assert not ReportSubscription.objects.exists()


def test_a_subscription_needs_one_subject_and_an_address(grouped_report):
    owner, report = grouped_report
    with pytest.raises(ValidationFailed) as both:
        subscription_create(
            actor=owner, report=report, dashboard="ops", frequency="weekly", weekday=0
        )
    assert "dashboard" in both.value.fields
    with pytest.raises(ValidationFailed) as bad_slug:
        subscription_create(actor=owner, dashboard="../admin", frequency="weekly", weekday=0)
    assert "dashboard" in bad_slug.value.fields
    nobody = agent(email="")
    mine = SavedReport.objects.create(owner=nobody, name="Mine", metric_key="mttr")
    with pytest.raises(ValidationFailed) as no_address:
        subscription_create(actor=nobody, report=mine, frequency="weekly", weekday=0)
    assert "no email address" in " ".join(no_address.value.fields["frequency"])


def test_a_dashboard_subscription_is_listed_by_the_dashboards_name(client, grouped_report):
    owner, _ = grouped_report
    subscription_create(actor=owner, dashboard="service-desk", frequency="weekly", weekday=0)
    client.force_login(owner)
    page = client.get(reverse("reporting:subscriptions")).content.decode()
    assert "Service desk dashboard" in page
    assert ">service-desk<" not in page and "Dashboard service desk" not in page
