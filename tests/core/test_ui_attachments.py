"""Attachment downloads: the file as it was uploaded, only for people who may see its record."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsdesk.core.attachments import attachment_store
from opsdesk.core.models import User
from opsdesk.core.testing.factories import TeamFactory, admin, agent, requester
from opsdesk.core.testing.views import browser_for
from opsdesk.core.views.attachments import may_download

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _files_in_tmp(attachment_dir):
    """Uploaded files land in this test's own directory."""


@pytest.fixture
def own_records_only(monkeypatch):
    """Users as records that only they themselves may see (like a requester's own ticket)."""
    monkeypatch.setattr(User, "is_visible_to", lambda self, user: self.pk == user.pk, raising=False)


def store(record, name="screen shot.png", data=PNG, **kwargs):
    return attachment_store(record=record, upload=SimpleUploadedFile(name, data), **kwargs)


def download(user, attachment):
    url = reverse("core:attachment-download", kwargs={"pk": attachment.pk})
    return browser_for(user).get(url)


def test_owner_downloads_with_detected_type_and_original_name(own_records_only):
    owner = requester()
    attachment = store(owner, name="../../etc/Ablauf Übersicht.png")
    response = download(owner, attachment)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Ablauf%20%C3%9Cbersicht.png" in disposition
    assert "/" not in disposition.split("filename", 1)[1].replace("%2F", "")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_html_upload_is_served_as_a_download_not_a_page(own_records_only):
    owner = requester()
    attachment = store(owner, name="invoice.html", data=b"<script>alert(1)</script>")
    response = download(owner, attachment)
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")


def test_requester_cannot_fetch_another_requesters_attachment(own_records_only):
    owner, stranger = requester(), requester()
    attachment = store(owner)
    response = download(stranger, attachment)
    assert response.status_code == 404  # not 403: ids cannot be probed


def test_missing_attachment_and_refused_attachment_look_the_same(own_records_only):
    stranger = requester()
    refused = download(stranger, store(requester()))
    url = reverse("core:attachment-download", kwargs={"pk": 999999})
    missing = browser_for(stranger).get(url)
    assert refused.status_code == missing.status_code == 404
    message = "There is nothing at this address."
    assert message in refused.content.decode() and message in missing.content.decode()


def test_internal_attachment_is_for_agents_only(own_records_only):
    owner = requester()
    internal = store(owner, is_public=False)
    assert download(owner, internal).status_code == 404


def test_record_without_a_visibility_rule_is_for_agents_only():
    team = TeamFactory()
    attachment = store(team)
    assert download(requester(), attachment).status_code == 404
    assert download(agent(), attachment).status_code == 200


class ConfidentialRecord:
    """A small fake record whose rule hides it from everyone."""

    def is_visible_to(self, user):
        return False


class FakeAttachment:
    def __init__(self, record, is_public=True):
        self.record = record
        self.is_public = is_public


def test_record_rule_applies_to_agents_too():
    assert not may_download(agent(), FakeAttachment(ConfidentialRecord()))
    assert may_download(admin(), FakeAttachment(ConfidentialRecord()))


def test_attachment_of_a_deleted_record_is_not_served():
    assert not may_download(agent(), FakeAttachment(None))


def test_administrator_may_always(own_records_only):
    attachment = store(requester(), is_public=False)
    assert download(admin(), attachment).status_code == 200


def test_anonymous_is_sent_to_sign_in():
    from django.test import Client

    attachment = store(TeamFactory())
    url = reverse("core:attachment-download", kwargs={"pk": attachment.pk})
    response = Client().get(url)
    assert response.status_code == 302 and reverse("core:login") in response["Location"]
