"""Attachments: stored under the data directory with a random name, typed from their bytes."""

import hashlib

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import FileResponse, Http404
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import Attachment, TimelineKind
from opsdesk.core.roles import is_agent
from opsdesk.core.timeline import timeline_add

SNIFF_BYTES = 8192
# The type of a received message kept as it arrived (RFC 5322 / MIME), for agents only.
ORIGINAL_MAIL_TYPE = "message/rfc822"


def detect_content_type(head: bytes) -> str:
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # The sniffed prefix may end inside a multi-byte character; allow for that.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "text/plain"


def safe_display_name(name: str) -> str:
    """Keep the user's file name for display only: no directories, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:255] or "attachment"


def attachment_store(
    *,
    record: models.Model,
    upload: UploadedFile,
    uploaded_by=None,
    is_public: bool = True,
    known_type: str | None = None,
) -> Attachment:
    """Keep ``upload`` on ``record``. The type comes from the bytes, unless the caller made the
    file itself and knows it (``known_type``); what a browser or sender claims is never used.
    """
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(
            "The file is too large.",
            fields={"file": [f"Files may be at most {limit // (1024 * 1024)} MB."]},
        )
    if upload.size == 0:
        raise ValidationFailed("The file is empty.", fields={"file": ["The file is empty."]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(record),
        object_id=str(record.pk),
        original_name=safe_display_name(upload.name or ""),
        content_type_detected=known_type or detect_content_type(head),
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=uploaded_by,
        created_at=timezone.now(),
        is_public=is_public,
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    return attachment


def attachments_for(*, record: models.Model, public_only: bool = False):
    qs = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    )
    return qs.filter(is_public=True) if public_only else qs


def attachments_visible(*, viewer, record: models.Model):
    """The files of ``record`` (which the caller checked ``viewer`` may see) that ``viewer``
    gets: internal files and kept original mails are for agents only."""
    qs = attachments_for(record=record, public_only=not is_agent(viewer))
    return qs.select_related("uploaded_by")


@transaction.atomic
def attachment_add(
    *, actor, record: models.Model, upload: UploadedFile, internal: bool = False
) -> Attachment:
    """Attach a file to a record the actor may see (the caller checked that); internal files
    are agents' only, so a requester asking for one is refused with a field message."""
    if not getattr(actor, "is_authenticated", False):
        raise NotPermitted("Sign in to attach files.")
    if internal and not is_agent(actor):
        raise ValidationFailed(
            "Only service-desk staff add internal files.",
            fields={"internal": ["Only service-desk staff add internal files."]},
        )
    stored = attachment_store(
        record=record, upload=upload, uploaded_by=actor, is_public=not internal
    )
    audit_record(
        action="attachment.created",
        obj=stored,
        object_repr=f"{stored.original_name} on {record}"[:200],
        changes={
            "record": {"from": None, "to": f"{record._meta.label_lower}:{record.pk}"},
            "name": {"from": None, "to": stored.original_name},
            "size": {"from": None, "to": stored.size},
            "is_public": {"from": None, "to": stored.is_public},
        },
        actor=actor,
    )
    timeline_add(
        record=record,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=f"Attached {stored.original_name}{' (internal)' if internal else ''}.",
        data={"field": "attachment", "from": None, "to": stored.original_name},
    )
    return stored


def file_response(attachment: Attachment) -> FileResponse:
    """The file as a download under its original name and sniffed type, never shown inline."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # FileResponse writes Content-Disposition with an RFC 6266 filename* for any name.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type_detected or "application/octet-stream",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
