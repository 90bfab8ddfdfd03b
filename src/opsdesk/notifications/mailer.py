"""Send the queued mail over SMTP (``django.core.mail`` with the EMAIL_* settings).

A delivery is claimed with a lease, sent, and marked sent in its own transaction; a failure
puts it back with exponential back-off, so a mail server that is down delays mail and loses
none, and a delivery that has gone is never claimed again. Deliveries to the same address
about the same record that fall due together leave as one digest mail.
"""

import logging
from datetime import timedelta
from email.mime.image import MIMEImage
from itertools import groupby

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.mail import mail_remember
from opsdesk.core.models import MailMessageRecord
from opsdesk.core.outbox import backoff
from opsdesk.notifications.models import (
    BROADCAST_EVENTS,
    URGENT_EVENTS,
    Delivery,
    DeliveryState,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_REFERENCES = 10


def max_attempts() -> int:
    # Doubling from 10 s and capped at an hour, 20 attempts keep trying for about 12 hours.
    return int(getattr(settings, "OPSDESK_NOTIFY_MAX_ATTEMPTS", 20))


def reply_to() -> str:
    return getattr(settings, "OPSDESK_REPLY_TO", "") or settings.DEFAULT_FROM_EMAIL


def claim(model, *, now, limit: int) -> list[int]:
    """Lease due rows to this worker; another worker skips them until the lease runs out."""
    with transaction.atomic():
        due = (
            model.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
            .order_by("id")
        )
        if db_connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        model.objects.filter(id__in=ids).update(leased_until=now + LEASE)
    return ids


def thread_headers(delivery: Delivery) -> dict[str, str]:
    """In-Reply-To and References: the record's earlier mail, so clients show one thread."""
    if not delivery.content_type_id:
        return {}
    earlier = list(
        MailMessageRecord.objects.filter(
            content_type_id=delivery.content_type_id, object_id=delivery.object_id
        )
        .exclude(message_id=delivery.message_id)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )
    if not earlier:
        return {}
    # The thread's root and the latest few: enough for any client, short enough for any server.
    refs = [earlier[0], *earlier[1:][-(MAX_REFERENCES - 1) :]]
    return {"In-Reply-To": earlier[-1], "References": " ".join(refs)}


class RelatedMail(EmailMultiAlternatives):
    """A mail whose HTML shows images carried in the mail itself: the HTML alternative
    becomes ``multipart/related`` (the HTML, then each image with its Content-ID), so the
    structure is alternative(text, related(html, image...)) that every client shows inline."""

    def __init__(self, *args, inline_images=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.inline_images or not msg.is_multipart():
            return msg
        parts = msg.get_payload()
        html = parts[-1]
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding)
        related.attach(html)
        for image in self.inline_images:
            part = MIMEImage(bytes(image.content), _subtype=image.mime_type.split("/", 1)[1])
            part["Content-ID"] = f"<{image.content_id}>"
            part.add_header("Content-Disposition", "inline", filename=image.filename)
            related.attach(part)
        parts[-1] = related
        return msg


def build_message(group: list[Delivery]) -> EmailMultiAlternatives:
    lead = group[0]
    if len(group) == 1:
        subject, text, html = lead.subject, lead.body_text, lead.body_html
    else:
        # A record without a number (an access review, a grant) is named by its first mail.
        subject = (
            f"[{lead.record_number}] {len(group)} updates"
            if lead.record_number
            else f"{lead.subject} (and {len(group) - 1} more)"[:255]
        )
        text = "\n\n-----\n\n".join(f"{d.subject}\n\n{d.body_text.strip()}" for d in group)
        text += f"\n\n{lead.url}\n" if lead.url else "\n"
        html = ""
        if all(d.body_html for d in group):
            html = "<hr>".join(d.body_html for d in group)
    headers = {
        "Message-ID": lead.message_id,
        # Tells vacation responders and other desks not to answer a machine.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        **thread_headers(lead),
    }
    if lead.record_number:
        headers["X-Opsdesk-Record"] = lead.record_number
    if len(group) == 1:
        headers.update(lead.headers or {})
    images = list(lead.images.all()) if len(group) == 1 and html else []
    message = RelatedMail(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[lead.address],
        reply_to=[reply_to()],
        headers=headers,
        inline_images=images,
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def _groups(deliveries: list[Delivery]) -> list[list[Delivery]]:
    """Urgent mail alone; the rest per address and record, oldest first."""
    groups = []
    batchable = []
    for delivery in deliveries:
        if delivery.event in URGENT_EVENTS or not delivery.content_type_id or delivery.headers:
            groups.append([delivery])
        else:
            batchable.append(delivery)

    def key(d):
        return (d.address.lower(), d.content_type_id, d.object_id)

    batchable.sort(key=lambda d: (key(d), d.pk))
    groups.extend(list(rows) for _, rows in groupby(batchable, key=key))
    return sorted(groups, key=lambda g: g[0].pk)


def _mark_sent(group: list[Delivery], now) -> None:
    lead = group[0]
    with transaction.atomic():
        Delivery.objects.filter(pk=lead.pk).update(
            state=DeliveryState.SENT,
            sent_at=now,
            attempts=lead.attempts + 1,
            leased_until=None,
            last_error="",
        )
        Delivery.objects.filter(pk__in=[d.pk for d in group[1:]]).update(
            state=DeliveryState.SENT, sent_at=now, sent_in=lead, leased_until=None, last_error=""
        )
        record = None
        if lead.content_type_id:
            record = lead.content_type.model_class().objects.filter(pk=lead.object_id).first()
        mail_remember(
            message_id=lead.message_id,
            direction="out",
            record=record,
            # A broadcast to everyone who uses a service does not make each of them part of
            # the incident's conversation: a reply from one of them starts a ticket of its own.
            addresses=[] if lead.event in BROADCAST_EVENTS else [lead.address],
            subject=lead.subject,
        )


def _mark_failed(group: list[Delivery], now, error: Exception) -> None:
    for delivery in group:
        attempts = delivery.attempts + 1
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            state=DeliveryState.DEAD if attempts >= max_attempts() else DeliveryState.PENDING,
            next_attempt_at=now + backoff(attempts),
            leased_until=None,
            last_error=repr(error)[:2000],
        )


def deliveries_send_due(*, now=None, limit: int = 200) -> dict[str, int]:
    """Send the mail that is due; returns counts of mails sent and deliveries that failed."""
    now = now or timezone.now()
    ids = claim(Delivery, now=now, limit=limit)
    deliveries = list(
        Delivery.objects.filter(pk__in=ids, state=DeliveryState.PENDING).select_related(
            "content_type"
        )
    )
    counts = {"sent": 0, "failed": 0}
    smtp = get_connection(fail_silently=False)
    try:
        for group in _groups(deliveries):
            try:
                smtp.send_messages([build_message(group)])
            except Exception as error:
                log.warning("mail to %s failed: %r", group[0].address, error)
                _mark_failed(group, now, error)
                counts["failed"] += len(group)
                smtp.close()  # a broken session must not poison the next message
                continue
            _mark_sent(group, now)
            counts["sent"] += 1
    finally:
        smtp.close()
    return counts


def deliveries_retry(*, ids) -> int:
    """Put given-up (or waiting) mail back in the queue now."""
    return (
        Delivery.objects.filter(pk__in=list(ids))
        .exclude(state=DeliveryState.SENT)
        .update(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            leased_until=None,
        )
    )
