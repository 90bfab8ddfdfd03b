"""Storing attachments: size limit, type from the bytes, the name never used as a path."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.core.attachments import attachment_store, attachments_for, safe_display_name
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import Attachment
from opsdesk.core.testing.factories import TeamFactory

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def test_type_comes_from_the_bytes_not_the_name(agent_user):
    record = TeamFactory()
    stored = attachment_store(
        record=record, upload=SimpleUploadedFile("report.pdf", PNG), uploaded_by=agent_user
    )
    assert stored.content_type_detected == "image/png"
    assert stored.original_name == "report.pdf"
    assert stored.size == len(PNG) and len(stored.sha256) == 64
    assert list(attachments_for(record=record)) == [stored]


def test_text_is_recognised(agent_user):
    stored = attachment_store(
        record=TeamFactory(), upload=SimpleUploadedFile("log", "résumé\n".encode())
    )
    assert stored.content_type_detected == "text/plain"


def test_path_in_the_name_is_never_used(agent_user):
    stored = attachment_store(
        record=TeamFactory(), upload=SimpleUploadedFile("../../etc/passwd", b"root:x:0:0")
    )
    assert stored.original_name == "passwd"
    assert ".." not in stored.file.name and "passwd" not in stored.file.name


def test_too_large_and_empty_files_are_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationFailed) as too_big:
        attachment_store(record=TeamFactory(), upload=SimpleUploadedFile("a", b"x" * 11))
    assert "file" in too_big.value.fields
    with pytest.raises(ValidationFailed):
        attachment_store(record=TeamFactory(), upload=SimpleUploadedFile("a", b""))
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("given", "shown"),
    [("a\\b\\c.txt", "c.txt"), ("bad\x00name\n.txt", "badname.txt"), ("", "attachment")],
)
def test_display_names_are_cleaned(given, shown):
    assert safe_display_name(given) == shown
