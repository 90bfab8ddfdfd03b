"""Who hears about what: rules, the actor left out, work notes, preferences, the wording."""

import pytest
from django.db import transaction

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import MailMessageRecord
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents.models import HoldReason
from opsdesk.incidents.services import incident_comment, incident_transition, incident_watch
from opsdesk.incidents.testing import resolution_code
from opsdesk.notifications.models import (
    Delivery,
    DeliveryState,
    InAppNotification,
    NotificationRule,
)
from opsdesk.notifications.services import preference_set

pytestmark = pytest.mark.django_db


def mails_to(mailoutbox, user):
    return [m for m in mailoutbox if user.email in m.to]


def test_caller_hears_the_call_was_logged_and_the_agent_who_logged_it_does_not(
    incident, caller, agent, other_agent, deliver, later, mailoutbox
):
    deliver(later())
    [mail] = mails_to(mailoutbox, caller)
    assert mail.subject.startswith(f"[{incident.number}] ")
    assert "VPN drops" in mail.subject
    # A requester's link opens the portal's ticket page, not the agents' workspace.
    assert f"/portal/tickets/{incident.pk}/" in mail.body
    assert f"/incidents/{incident.pk}/" not in mail.body
    assert mail.extra_headers["Auto-Submitted"] == "auto-generated"
    assert mail.reply_to == ["opsdesk@localhost"]
    assert mails_to(mailoutbox, agent) == []
    # The rest of the group sees the new work in the app, the person who logged it does not.
    assert InAppNotification.objects.filter(user=other_agent).exists()
    assert not InAppNotification.objects.filter(user=agent).exists()
    # Requesters have no in-app list.
    assert not InAppNotification.objects.filter(user=caller).exists()


def test_reply_to_follows_the_setting(incident, caller, deliver, later, mailoutbox, settings):
    settings.OPSDESK_REPLY_TO = "servicedesk@example.com"
    deliver(later())
    assert mails_to(mailoutbox, caller)[0].reply_to == ["servicedesk@example.com"]


def test_public_comment_reaches_the_caller_but_a_work_note_only_reaches_agents(
    incident, caller, agent, other_agent, deliver, later, mailoutbox
):
    incident_watch(actor=agent, incident=incident, user=other_agent)
    deliver(later())
    mailoutbox.clear()
    with transaction.atomic():
        incident_comment(
            actor=agent, incident=incident, body="Secret firewall detail", internal=True
        )
    deliver(later())
    assert mails_to(mailoutbox, caller) == []
    assert mails_to(mailoutbox, agent) == []  # the author
    [note] = mails_to(mailoutbox, other_agent)
    assert "Secret firewall detail" in note.body and "Work note" in note.subject
    assert f"/incidents/{incident.pk}/" in note.body  # an agent's link opens the workspace

    mailoutbox.clear()
    incident_comment(actor=agent, incident=incident, body="Please restart the client.")
    deliver(later(10))
    [reply] = mails_to(mailoutbox, caller)
    assert "Please restart the client." in reply.body
    assert "Secret firewall detail" not in reply.body


def test_only_a_hold_awaiting_the_caller_asks_the_caller(
    incident, caller, agent, deliver, later, mailoutbox
):
    deliver(later())
    mailoutbox.clear()
    incident_transition(
        actor=agent, incident=incident, action="hold", hold_reason=HoldReason.AWAITING_VENDOR
    )
    deliver(later())
    assert mails_to(mailoutbox, caller) == []
    incident_transition(actor=agent, incident=incident, action="resume")
    incident_transition(
        actor=agent,
        incident=incident,
        action="hold",
        hold_reason=HoldReason.AWAITING_CALLER,
        reason="Which office are you in?",
    )
    deliver(later(10))
    [mail] = mails_to(mailoutbox, caller)
    assert "waiting for your answer" in mail.body


def test_resolution_mail_asks_to_confirm_or_reject(
    incident, caller, agent, deliver, later, mailoutbox
):
    deliver(later())
    mailoutbox.clear()
    incident_transition(
        actor=agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Replaced the VPN profile.",
    )
    deliver(later())
    [mail] = mails_to(mailoutbox, caller)
    assert "Replaced the VPN profile." in mail.body
    assert "confirm the resolution" in mail.body and "reject the resolution" in mail.body
    html = mail.alternatives[0][0]
    assert "confirm the resolution" in html
    # Confirming and rejecting happen on the portal's ticket page: that is where it links.
    assert f"/portal/tickets/{incident.pk}/" in html


def test_preferences_mute_an_event_for_one_channel(
    incident, caller, agent, deliver, later, mailoutbox
):
    preference_set(actor=caller, user=caller, event="commented", channel="email", enabled=False)
    deliver(later())
    mailoutbox.clear()
    incident_comment(actor=agent, incident=incident, body="Any news on your side?")
    deliver(later())
    assert mails_to(mailoutbox, caller) == []


def test_pages_cannot_be_switched_off(agent):
    with pytest.raises(ValidationFailed) as refused:
        preference_set(actor=agent, user=agent, event="page", channel="email", enabled=False)
    assert "enabled" in refused.value.fields


def test_nobody_changes_someone_elses_preferences(agent, caller):
    from opsdesk.core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        preference_set(actor=agent, user=caller, event="opened", channel="email", enabled=False)


def test_a_page_goes_out_at_once_with_the_acknowledge_link(incident, agent, deliver, mailoutbox):
    with transaction.atomic():
        outbox_publish(
            topic="incident.page",
            payload={
                "incident_id": incident.pk,
                "user_id": agent.pk,
                "email": agent.email,
                "acknowledge_url": "http://127.0.0.1:8000/incidents/page/tok/",
                "reason": "opened",
            },
        )
    preference_set(actor=agent, user=agent, event="assigned", channel="email", enabled=False)
    deliver()  # now: urgent mail does not wait for the digest window
    [page] = mails_to(mailoutbox, agent)
    assert "PAGE" in page.subject and "http://127.0.0.1:8000/incidents/page/tok/" in page.body


def test_survey_requested_by_the_service_desk_reaches_the_caller(
    incident, caller, deliver, later, mailoutbox
):
    deliver(later())
    mailoutbox.clear()
    with transaction.atomic():
        outbox_publish(
            topic="servicedesk.survey_requested",
            payload={
                "incident_id": incident.pk,
                "caller_id": caller.pk,
                "survey_url": "http://127.0.0.1:8000/survey/abc/",
            },
        )
    deliver(later())
    [mail] = mails_to(mailoutbox, caller)
    assert "http://127.0.0.1:8000/survey/abc/" in mail.body


def test_escalation_notice_reaches_the_named_people(incident, lead, deliver, mailoutbox):
    with transaction.atomic():
        outbox_publish(
            topic="incident.escalation_notice",
            payload={"incident_id": incident.pk, "user_ids": [lead.pk], "why": "75 % used"},
        )
    deliver()
    [mail] = mails_to(mailoutbox, lead)
    assert "75 % used" in mail.body


def test_a_switched_off_rule_sends_nothing(incident, caller, deliver, later, mailoutbox):
    NotificationRule.objects.filter(event="opened", audience="caller").update(active=False)
    deliver(later())
    assert mails_to(mailoutbox, caller) == []


def test_a_burst_becomes_one_digest_threaded_under_the_first_mail(
    incident, caller, agent, deliver, later, mailoutbox
):
    deliver(later())
    [first] = mails_to(mailoutbox, caller)
    mailoutbox.clear()
    for n in range(3):
        incident_comment(actor=agent, incident=incident, body=f"Update number {n}")
    deliver(later(10))
    [digest] = mails_to(mailoutbox, caller)
    assert "3 updates" in digest.subject and digest.subject.startswith(f"[{incident.number}]")
    for n in range(3):
        assert f"Update number {n}" in digest.body
    assert digest.extra_headers["In-Reply-To"] == first.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] in digest.extra_headers["References"]
    # Every mail sent is in the Message-ID index, so replies find their ticket.
    remembered = MailMessageRecord.objects.get(message_id=digest.extra_headers["Message-ID"])
    assert remembered.record == incident and caller.email in remembered.addresses
    assert Delivery.objects.filter(state=DeliveryState.SENT, sent_in__isnull=False).count() == 2


def test_watchers_without_an_address_or_account_get_nothing(
    incident, agent, caller, deliver, later
):
    addressless = UserFactory(roles=[Role.AGENT], email="")
    departed = UserFactory(roles=[Role.AGENT])
    present = UserFactory(roles=[Role.AGENT])
    for user in (addressless, departed, present):
        incident_watch(actor=agent, incident=incident, user=user)
    departed.is_active = False
    departed.save()
    incident_comment(actor=agent, incident=incident, body="noted")
    deliver(later())
    heard = set(Delivery.objects.filter(event="commented").values_list("recipient", flat=True))
    assert heard == {present.pk, caller.pk}
