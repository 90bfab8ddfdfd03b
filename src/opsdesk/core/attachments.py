"""Attachments: stored under the data directory with a random name, typed from their bytes."""

import hashlib

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import Attachment

SNIFF_BYTES = 8192


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
    *, record: models.Model, upload: UploadedFile, uploaded_by=None, is_public: bool = True
) -> Attachment:
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
        content_type_detected=detect_content_type(head),
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
