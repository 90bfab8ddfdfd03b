"""Every write of the notifications domain: facts into deliveries, preferences, read marks.

``notify_fact(event=)`` is called by the outbox handler inside its transaction: it writes one
``Delivery`` per address and one ``InAppNotification`` per agent, or nothing at all.
``notify_alerts_fired(event=)`` does the same for the ``notify`` action of event rules,
``notify_approval(event=)`` for approvers and requesters, ``notify_access(event=)`` for the
people an access management fact concerns.
"""

from collections.abc import Sequence
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opsdesk.approvals import selectors as approval_selectors
from opsdesk.approvals.mailtoken import mail_subject_tag
from opsdesk.approvals.models import Approval, ApprovalRequest, RequestState
from opsdesk.approvals.services import approval_request_issue_tokens
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import OutboxEvent, User
from opsdesk.core.roles import is_agent
from opsdesk.events.models import Alert, AlertStatus
from opsdesk.notifications.models import (
    MANDATORY_EVENTS,
    URGENT_EVENTS,
    Audience,
    Channel,
    Delivery,
    DeliveryImage,
    Event,
    InAppNotification,
    NotificationPreference,
    NotificationRule,
    NotificationTemplate,
)
from opsdesk.notifications.recipients import (
    ACCESS_EVENTS,
    Fact,
    access_letters,
    alert_url,
    audience_members,
    fact_for,
    may_hear,
    notify_recipients,
    record_url,
)
from opsdesk.notifications.rendering import render_mail
from opsdesk.notifications.wakeup import wake_after_commit

# Mail about the same record to the same person within this window is sent as one digest.
DEFAULT_DIGEST_SECONDS = 60


def digest_window() -> timedelta:
    return timedelta(
        seconds=int(getattr(settings, "OPSDESK_NOTIFY_DIGEST_SECONDS", DEFAULT_DIGEST_SECONDS))
    )


def message_id_domain() -> str:
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "") or "opsdesk@localhost"
    return sender.rsplit("@", 1)[-1].strip(">").strip() or "localhost"


def opted_out(user_ids, event: str, channel: str) -> set[int]:
    if event in MANDATORY_EVENTS:
        return set()
    return set(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, event=event, channel=channel, enabled=False
        ).values_list("user_id", flat=True)
    )


def _channels_by_person(fact: Fact) -> dict[int, tuple[User, set[str]]]:
    """Union of every active rule's audience and channels for this event."""
    people: dict[int, tuple[User, set[str]]] = {}
    for rule in NotificationRule.objects.filter(event=fact.event, active=True):
        channels = {Channel.EMAIL} if rule.email else set()
        for user in audience_members(fact, rule.audience):
            if not may_hear(fact, user, rule.audience):
                continue
            wanted = set(channels)
            if rule.in_app and is_agent(user):
                wanted.add(Channel.IN_APP)
            if wanted:
                people.setdefault(user.pk, (user, set()))[1].update(wanted)
    return people


def _context(fact: Fact, recipient_name: str, user: User | None = None) -> dict:
    incident = fact.record
    return {
        "event": Event(fact.event).label,
        "number": incident.number,
        "short_description": incident.short_description,
        "description": incident.description,
        "state": incident.get_state_display(),
        "priority": incident.get_priority_display(),
        "caller": str(incident.caller),
        "assignee": str(incident.assignee) if incident.assignee else "",
        "assignment_group": str(incident.assignment_group or ""),
        "resolution_notes": getattr(incident, "resolution_notes", ""),
        "recipient": recipient_name,
        "url": record_url(incident, agent=user is not None and is_agent(user)),
        "internal": fact.internal,
        **{k: str(v) if v is not None else "" for k, v in fact.extra.items()},
    }


def notify_fact(*, event: OutboxEvent) -> int:
    """Write the deliveries an outbox fact calls for; returns how many messages were queued."""
    fact = fact_for(event)
    if fact is None:
        return 0
    template = NotificationTemplate.objects.filter(event=fact.event).first()
    if template is None:
        return 0
    people = _channels_by_person(fact)
    muted = {
        channel: opted_out(people.keys(), fact.event, channel)
        for channel in (Channel.EMAIL, Channel.IN_APP)
    }
    now = timezone.now()
    send_at = now if fact.event in URGENT_EVENTS else now + digest_window()
    record = {
        "content_type": ContentType.objects.get_for_model(fact.record),
        "object_id": str(fact.record.pk),
        "record_number": fact.record.number,
        "url": record_url(fact.record),
    }
    queued = 0
    seen_addresses: set[str] = set()

    def queue_mail(address: str, user: User | None) -> None:
        nonlocal queued
        key = address.lower()
        if key in seen_addresses:
            return
        seen_addresses.add(key)
        mail = render_mail(
            template,
            _context(fact, str(user) if user else address, user),
            number=fact.record.number,
        )
        _, created = Delivery.objects.get_or_create(
            source_event_id=event.pk,
            address=address,
            defaults={
                **record,
                "event": fact.event,
                "recipient": user,
                "subject": mail.subject,
                "body_text": mail.body_text,
                "body_html": mail.body_html,
                "message_id": make_msgid(domain=message_id_domain()),
                "next_attempt_at": send_at,
            },
        )
        queued += int(created)

    for user, channels in people.values():
        if Channel.EMAIL in channels and user.pk not in muted[Channel.EMAIL]:
            queue_mail(user.email, user)
        if Channel.IN_APP in channels and user.pk not in muted[Channel.IN_APP]:
            mail = render_mail(template, _context(fact, str(user), user), number=fact.record.number)
            _, created = InAppNotification.objects.get_or_create(
                source_event_id=event.pk,
                user=user,
                defaults={
                    **record,
                    "event": fact.event,
                    "title": mail.subject,
                    "body": mail.body_text[:2000],
                },
            )
            queued += int(created)
    if NotificationRule.objects.filter(
        event=fact.event, audience=Audience.NAMED, active=True, email=True
    ).exists():
        for address in fact.named_addresses:
            queue_mail(address, None)
    if queued:
        wake_after_commit()
    return queued


# --- alerts that fired, for the recipients of a rule's notify action --------------------------
def _alert_context(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "summary": alert.summary or alert.fingerprint,
        "severity": alert.get_severity_display(),
        "resource": alert.resource,
        "ci": alert.ci.name if alert.ci else "",
        "service": alert.service.name if alert.service else "",
        "team": alert.team.name if alert.team else "",
        "url": alert_url(alert),
    }


def notify_alerts_fired(*, event: OutboxEvent) -> int:
    """Mail (and tell in the app) the people the opened alerts' ``notify`` action names.

    One mail per person per fact, listing every alert of the fact that names them. Alerts that
    were suppressed, started flapping or cleared before the fact is handled notify nobody; the
    rows are unique per fact, so a redelivered fact queues nothing twice.
    """
    # The fact carries each alert's actions: only those naming recipients are read again.
    ids = [
        a.get("alert_id")
        for a in event.payload.get("alerts") or []
        if isinstance(a, dict) and (a.get("actions") or {}).get("notify")
    ]
    if not ids:
        return 0
    alerts = [
        alert
        for alert in Alert.objects.filter(
            pk__in=[i for i in ids if i is not None],
            status__in=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
            flapping=False,
        )
        .select_related("ci", "service", "team")
        .order_by("id")
        if isinstance((alert.actions or {}).get("notify"), list)
    ]
    if not alerts:
        return 0
    rule = NotificationRule.objects.filter(
        event=Event.ALERT_FIRED, audience=Audience.NAMED, active=True
    ).first()
    template = NotificationTemplate.objects.filter(event=Event.ALERT_FIRED).first()
    if rule is None or template is None:
        return 0  # switched off by an administrator
    # Who hears of which alerts: one mail each, however many alerts and entries name them.
    people: dict[str, list] = {}  # address -> [user or None, address, alerts]
    for alert in alerts:
        for user, address in notify_recipients(alert.actions["notify"], at=event.created_at):
            person = people.setdefault(address.lower(), [user, address, []])
            person[0] = person[0] or user
            person[2].append(alert)
    user_ids = [user.pk for user, _, _ in people.values() if user is not None]
    muted = {
        channel: opted_out(user_ids, Event.ALERT_FIRED, channel)
        for channel in (Channel.EMAIL, Channel.IN_APP)
    }
    alert_type = ContentType.objects.get_for_model(Alert)
    now = timezone.now()
    queued = 0
    for user, address, fired in people.values():
        lines = [_alert_context(alert) for alert in fired]
        context = {
            "event": Event.ALERT_FIRED.label,
            "recipient": str(user) if user else address,
            "count": len(lines),
            "others": len(lines) - 1,
            "alerts": lines,
            **{k: v for k, v in lines[0].items() if k != "id"},
        }
        mail = render_mail(template, context)
        record = {
            "content_type": alert_type,
            "object_id": str(fired[0].pk),
            "url": lines[0]["url"],
            "event": Event.ALERT_FIRED,
        }
        if rule.email and (user is None or user.pk not in muted[Channel.EMAIL]):
            _, created = Delivery.objects.get_or_create(
                source_event_id=event.pk,
                address=address,
                defaults={
                    **record,
                    "recipient": user,
                    "subject": mail.subject,
                    "body_text": mail.body_text,
                    "body_html": mail.body_html,
                    "message_id": make_msgid(domain=message_id_domain()),
                    "next_attempt_at": now,
                },
            )
            queued += int(created)
        if (
            rule.in_app
            and user is not None
            and is_agent(user)
            and user.pk not in muted[Channel.IN_APP]
        ):
            _, created = InAppNotification.objects.get_or_create(
                source_event_id=event.pk,
                user=user,
                defaults={**record, "title": mail.subject, "body": mail.body_text[:2000]},
            )
            queued += int(created)
    if queued:
        wake_after_commit()
    return queued


# --- approvals: the approver's mail with its link, the requester's rejection ---------------
def _subject_url(subject, user: User | None) -> str:
    try:
        return record_url(subject, agent=user is not None and is_agent(user))
    except LookupError:
        return ""


def _queue_approval_mail(
    *, event, kind: str, template, user: User, context: dict, subject, subject_line: str = ""
) -> int:
    mail = render_mail(template, context)
    _, created = Delivery.objects.get_or_create(
        source_event_id=event.pk,
        address=user.email,
        defaults={
            "content_type": ContentType.objects.get_for_model(subject),
            "object_id": str(subject.pk),
            "record_number": getattr(subject, "number", ""),
            "url": context.get("url", ""),
            "event": kind,
            "recipient": user,
            "subject": (f"{subject_line} {mail.subject}" if subject_line else mail.subject)[:255],
            "body_text": mail.body_text,
            "body_html": mail.body_html,
            "message_id": make_msgid(domain=message_id_domain()),
            "next_attempt_at": timezone.now(),
        },
    )
    return int(created)


def _approval_requested(event: OutboxEvent, kind: str) -> int:
    template = NotificationTemplate.objects.filter(event=kind).first()
    if template is None:
        return 0
    rows = ApprovalRequest.objects.filter(
        pk__in=event.payload.get("request_ids") or [], state=RequestState.PENDING
    ).select_related("approver", "run__stage", "run__approval__scheme")
    muted = opted_out([r.approver_id for r in rows], kind, Channel.EMAIL)
    queued = 0
    for row in rows:
        approver = row.approver
        if not approver.email or approver.pk in muted:
            continue
        if Delivery.objects.filter(source_event_id=event.pk, address=approver.email).exists():
            continue  # handled before: the tokens of that mail stand
        # Fresh tokens for this mail: only their hashes are kept, the mail holds the tokens.
        tokens = approval_request_issue_tokens(request=row)
        approval = row.run.approval
        summary = approval_selectors.subject_summary(approval)
        context = {
            "event": Event(kind).label,
            "recipient": str(approver),
            "number": summary["number"],
            "short_description": summary["short_description"],
            "requester": summary["requester"],
            "requested_for": summary["requested_for"],
            "scheme": approval.scheme.name,
            "stage": row.run.stage.name,
            "answers": [
                {"label": label, "value": value}
                for label, value in approval_selectors.answer_rows(approval)
            ],
            "decide_url": settings.BASE_URL
            + reverse("approvals:link", kwargs={"token": tokens.link}),
            "inbox_url": settings.BASE_URL + reverse("approvals:inbox"),
            "url": _subject_url(approval.subject, approver),
        }
        queued += _queue_approval_mail(
            event=event,
            kind=kind,
            template=template,
            user=approver,
            context=context,
            subject=approval.subject,
            subject_line=mail_subject_tag(tokens.mail),
        )
    return queued


def _approval_rejected(event: OutboxEvent) -> int:
    template = NotificationTemplate.objects.filter(event=Event.APPROVAL_REJECTED).first()
    approval = Approval.objects.filter(pk=event.payload.get("approval_id")).first()
    if template is None or approval is None or approval.subject is None:
        return 0
    subject = approval.subject
    ids = [i for i in (approval.requested_for_id, getattr(subject, "caller_id", None)) if i]
    people = list(User.objects.filter(pk__in=ids, is_active=True).exclude(email=""))
    muted = opted_out([p.pk for p in people], Event.APPROVAL_REJECTED, Channel.EMAIL)
    summary = approval_selectors.subject_summary(approval)
    queued = 0
    for person in people:
        if person.pk in muted:
            continue
        context = {
            "event": Event.APPROVAL_REJECTED.label,
            "recipient": str(person),
            "number": summary["number"],
            "short_description": summary["short_description"],
            "reason": approval.reason,
            "url": _subject_url(subject, person),
        }
        queued += _queue_approval_mail(
            event=event,
            kind=Event.APPROVAL_REJECTED,
            template=template,
            user=person,
            context=context,
            subject=subject,
        )
    return queued


def _approval_reply_refused(event: OutboxEvent) -> int:
    template = NotificationTemplate.objects.filter(event=Event.APPROVAL_REPLY_REFUSED).first()
    approval = Approval.objects.filter(pk=event.payload.get("approval_id")).first()
    person = User.objects.filter(pk=event.payload.get("user_id"), is_active=True).first()
    if template is None or approval is None or person is None or not person.email:
        return 0
    if person.pk in opted_out([person.pk], Event.APPROVAL_REPLY_REFUSED, Channel.EMAIL):
        return 0
    summary = approval_selectors.subject_summary(approval)
    context = {
        "event": Event.APPROVAL_REPLY_REFUSED.label,
        "recipient": str(person),
        "number": summary["number"],
        "short_description": summary["short_description"],
        "reason": event.payload.get("reason", ""),
        "inbox_url": settings.BASE_URL + reverse("approvals:inbox"),
        "url": settings.BASE_URL + reverse("approvals:inbox"),
    }
    return _queue_approval_mail(
        event=event,
        kind=Event.APPROVAL_REPLY_REFUSED,
        template=template,
        user=person,
        context=context,
        subject=approval.subject,
    )


def notify_approval(*, event: OutboxEvent) -> int:
    """Mail for an approval fact: each asked (or reminded) approver gets their own link and
    reply token; a rejection reaches the requester with its reason; an approver whose mail
    reply decided nothing is told why."""
    if event.topic == "approval.requested":
        queued = _approval_requested(event, Event.APPROVAL_REQUESTED)
    elif event.topic == "approval.reminder":
        queued = _approval_requested(event, Event.APPROVAL_REMINDER)
    elif event.topic == "approval.rejected":
        queued = _approval_rejected(event)
    elif event.topic == "approval.reply_refused":
        queued = _approval_reply_refused(event)
    else:
        return 0
    if queued:
        wake_after_commit()
    return queued


# --- access management: expiring access, reviews, steps by hand, conflicting duties ----------
def notify_access(*, event: OutboxEvent) -> int:
    """Mail (and, for agents, a line in the app) to each person an access fact concerns.

    Who hears of what is fixed by the fact (the holder and owner of access that ends, the
    reviewer, the owner team, the access managers); each person's preferences choose the
    channels. The rows are unique per fact, so a redelivered fact queues nothing twice.
    """
    kind = ACCESS_EVENTS.get(event.topic)
    template = NotificationTemplate.objects.filter(event=kind).first() if kind else None
    if kind is None or template is None:
        return 0
    letters = access_letters(event)
    muted = {
        channel: opted_out([letter.user.pk for letter in letters], kind, channel)
        for channel in (Channel.EMAIL, Channel.IN_APP)
    }
    send_at = timezone.now() + digest_window()
    queued = 0
    for letter in letters:
        user = letter.user
        app_label, model, pk = letter.record
        mail = render_mail(
            template, {"event": Event(kind).label, "recipient": str(user), **letter.context}
        )
        record = {
            "content_type": ContentType.objects.get_by_natural_key(app_label, model),
            "object_id": str(pk or ""),
            "url": letter.context.get("url", ""),
            "event": kind,
        }
        if user.pk not in muted[Channel.EMAIL]:
            _, created = Delivery.objects.get_or_create(
                source_event_id=event.pk,
                address=user.email,
                defaults={
                    **record,
                    "recipient": user,
                    "subject": mail.subject,
                    "body_text": mail.body_text,
                    "body_html": mail.body_html,
                    "message_id": make_msgid(domain=message_id_domain()),
                    "next_attempt_at": send_at,
                },
            )
            queued += int(created)
        if is_agent(user) and user.pk not in muted[Channel.IN_APP]:
            _, created = InAppNotification.objects.get_or_create(
                source_event_id=event.pk,
                user=user,
                defaults={**record, "title": mail.subject, "body": mail.body_text[:2000]},
            )
            queued += int(created)
    if queued:
        wake_after_commit()
    return queued


# --- mail composed elsewhere (a scheduled report) --------------------------------------------
def mail_queue(
    *,
    source_event_id: int,
    kind: str,
    user: User,
    subject: str,
    body_text: str,
    body_html: str = "",
    url: str = "",
    headers: dict[str, str] | None = None,
    images: Sequence[tuple[str, str, bytes]] = (),
) -> Delivery | None:
    """Queue one mail another app composed, for the outbox fact ``source_event_id``: its own
    headers and the images its HTML shows by ``cid:`` as (content id, filename, PNG bytes).
    Once per fact and address; nothing for a user without an address or who switched
    ``kind`` off."""
    if not user.email or user.pk in opted_out([user.pk], kind, Channel.EMAIL):
        return None
    delivery, created = Delivery.objects.get_or_create(
        source_event_id=source_event_id,
        address=user.email,
        defaults={
            "event": kind,
            "recipient": user,
            "url": url[:500],
            "subject": subject[:255],
            "body_text": body_text,
            "body_html": body_html,
            "headers": dict(headers or {}),
            "message_id": make_msgid(domain=message_id_domain()),
            "next_attempt_at": timezone.now(),
        },
    )
    if created:
        DeliveryImage.objects.bulk_create(
            DeliveryImage(delivery=delivery, content_id=cid, filename=name, content=content)
            for cid, name, content in images
        )
        wake_after_commit()
    return delivery


# --- preferences and the in-app list ---------------------------------------------------------
@transaction.atomic
def preference_set(*, actor, user: User, event: str, channel: str, enabled: bool):
    """Switch one event and channel on or off for ``user`` (themselves, or by an admin)."""
    if actor.pk != user.pk and not actor.is_superuser:
        raise NotPermitted("You may change only your own notification preferences.")
    fields = {}
    if event not in Event.values:
        fields["event"] = [f"Unknown event {event!r}."]
    if channel not in Channel.values:
        fields["channel"] = [f"Unknown channel {channel!r}."]
    if fields:
        raise ValidationFailed("Please correct the highlighted fields.", fields=fields)
    if event in MANDATORY_EVENTS and not enabled:
        raise ValidationFailed(
            "Pages reach whoever is on call; they cannot be switched off.",
            fields={"enabled": ["On-call pages cannot be switched off."]},
        )
    pref, _ = NotificationPreference.objects.update_or_create(
        user=user, event=event, channel=channel, defaults={"enabled": enabled}
    )
    audit_record(
        action="notification_preference.updated",
        obj=pref,
        changes={"enabled": {"to": enabled}},
        actor=actor,
    )
    return pref


def notifications_mark_read(*, actor, ids=None) -> int:
    """Mark the actor's notifications read (all of them when ``ids`` is None)."""
    rows = InAppNotification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())
