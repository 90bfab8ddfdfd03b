"""The Message-ID index shared by outbound and inbound mail (see models/mail.py)."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from opsdesk.core.models import MailMessageRecord


def normalise_message_id(value: str) -> str:
    """'<abc@host>' and 'abc@host' are the same message; keep the bracketed form."""
    value = (value or "").strip()
    if not value:
        return ""
    return value if value.startswith("<") else f"<{value}>"


def mail_remember(
    *,
    message_id: str,
    direction: str,
    record: models.Model | None = None,
    addresses=(),
    subject: str = "",
) -> tuple[MailMessageRecord, bool]:
    """Record a Message-ID once; returns (row, created). A second call changes nothing."""
    defaults = {
        "direction": direction,
        "addresses": sorted({a.lower() for a in addresses}),
        "subject": subject[:255],
    }
    if record is not None:
        defaults["content_type"] = ContentType.objects.get_for_model(record)
        defaults["object_id"] = str(record.pk)
    return MailMessageRecord.objects.get_or_create(
        message_id=normalise_message_id(message_id)[:255], defaults=defaults
    )


def mail_seen(*, message_id: str) -> bool:
    return MailMessageRecord.objects.filter(message_id=normalise_message_id(message_id)).exists()


def mail_thread_record(*, message_ids) -> MailMessageRecord | None:
    """The newest known message among ``message_ids`` (In-Reply-To first, then References)
    that belongs to a record."""
    ids = [normalise_message_id(m) for m in message_ids if m]
    rows = {
        r.message_id: r
        for r in MailMessageRecord.objects.filter(message_id__in=ids, content_type__isnull=False)
    }
    for message_id in ids:
        if message_id in rows:
            return rows[message_id]
    return None
