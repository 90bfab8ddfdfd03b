"""The message a ticket was mailed in with: linked for agents on the record page, never for
the requester."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.core.attachments import attachment_store
from opsdesk.core.models import Attachment
from opsdesk.core.testing.views import browser_for
from opsdesk.servicedesk.inbound.services import mail_ingest
from tests.servicedesk.mail import message, raw

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_in_tmp(attachment_dir):
    """Kept mail lands in this test's own directory."""


@pytest.fixture
def mailed_in(mailbox, alice):
    msg = raw(message(message_id="<boot-1@mail.example.com>"))
    incident = mail_ingest(raw=msg, mailbox=mailbox).incident
    return incident, msg


def test_agent_page_links_the_original_email(mailed_in, desk_agent):
    incident, msg = mailed_in
    original = Attachment.objects.get(object_id=str(incident.pk), is_public=False)
    assert original.is_original_mail and original.content_type_detected == "message/rfc822"
    page = browser_for(desk_agent).get(reverse("incidents:detail", args=[incident.pk]))
    text = page.content.decode()
    link = reverse("core:attachment-download", args=[original.pk])
    assert f'<a href="{link}">boot-1@mail.example.com.eml</a>' in text
    assert "Original email" in text
    download = browser_for(desk_agent).get(link)
    assert download.status_code == 200 and download["Content-Type"] == "message/rfc822"
    assert b"".join(download.streaming_content) == msg


def test_the_requester_neither_sees_nor_fetches_it(mailed_in, alice):
    incident, _ = mailed_in
    original = Attachment.objects.get(object_id=str(incident.pk), is_public=False)
    browser = browser_for(alice)
    for page in ("incidents:detail", "servicedesk:ticket"):
        text = browser.get(reverse(page, args=[incident.pk])).content.decode()
        assert ".eml" not in text and "Original email" not in text
    link = reverse("core:attachment-download", args=[original.pk])
    assert browser.get(link).status_code == 404


def test_an_uploaded_eml_is_not_taken_for_the_original(desk_agent, mailed_in):
    incident, _ = mailed_in
    upload = attachment_store(
        record=incident,
        upload=SimpleUploadedFile("forwarded.eml", b"From: x@example.com\r\n\r\nhi"),
        is_public=False,
    )
    assert not upload.is_original_mail
