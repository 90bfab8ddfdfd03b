"""A record's files through the API: who sees which files, uploads and their limits."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from opsdesk.core.attachments import ORIGINAL_MAIL_TYPE, attachment_store
from opsdesk.core.models import Attachment, AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.services import token_create
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.views import browser_for
from opsdesk.core.timeline import timeline_for
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _files_in_tmp(attachment_dir):
    """Uploaded files land in this test's own directory."""


@pytest.fixture
def incident(team, caller):
    return IncidentFactory(assignment_group=team, caller=caller)


@pytest.fixture
def files(incident, caller, desk_agent):
    """A public screenshot, an internal note and the original mail the ticket came in with."""
    return {
        "screen": attachment_store(
            record=incident, upload=SimpleUploadedFile("screen.png", PNG), uploaded_by=caller
        ),
        "internal": attachment_store(
            record=incident,
            upload=SimpleUploadedFile("firewall.txt", b"rule 12"),
            uploaded_by=desk_agent,
            is_public=False,
        ),
        "mail": attachment_store(
            record=incident,
            upload=SimpleUploadedFile("abc@example.com.eml", b"From: a@example.com\r\n\r\nhi"),
            is_public=False,
            known_type=ORIGINAL_MAIL_TYPE,
        ),
    }


def url(incident, record_type="incident"):
    return reverse("record-attachments", kwargs={"record_type": record_type, "id": incident.pk})


def upload(client, incident, name="log.txt", data=b"disk full", **fields):
    return client.post(
        url(incident), {"file": SimpleUploadedFile(name, data), **fields}, format="multipart"
    )


def names(response):
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json())


def test_requester_sees_only_the_public_files_of_their_ticket(caller, incident, files):
    response = client_for(caller).get(url(incident))
    assert names(response) == ["screen.png"]
    item = response.json()[0]
    assert item["size"] == len(PNG) and item["content_type"] == "image/png"
    assert item["uploaded_by"]["id"] == caller.pk and item["is_public"] is True
    # The link in the item is the download the requester may follow.
    download = client_for(caller).get(item["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG


def test_agent_sees_internal_files_and_the_original_mail(desk_agent, incident, files):
    response = client_for(desk_agent).get(url(incident))
    assert names(response) == ["abc@example.com.eml", "firewall.txt", "screen.png"]
    by_name = {item["name"]: item for item in response.json()}
    assert by_name["abc@example.com.eml"]["is_original_mail"] is True
    assert by_name["firewall.txt"]["is_original_mail"] is False
    assert by_name["firewall.txt"]["is_public"] is False
    mail = client_for(desk_agent).get(by_name["abc@example.com.eml"]["download_url"])
    assert mail.status_code == 200 and mail["Content-Type"] == "message/rfc822"
    assert mail["Content-Disposition"].startswith("attachment;")


def file_url(incident, attachment):
    kwargs = {"record_type": "incident", "id": incident.pk, "attachment_id": attachment.pk}
    return reverse("record-attachment", kwargs=kwargs)


def test_internal_files_do_not_open_for_the_requester(caller, incident, files):
    for hidden in ("internal", "mail"):
        assert_error_shape(client_for(caller).get(file_url(incident, files[hidden])), 404)
        web = browser_for(caller).get(reverse("core:attachment-download", args=[files[hidden].pk]))
        assert web.status_code == 404


def test_download_with_a_token_and_the_files_own_type(caller, incident, files):
    _, raw = token_create(actor=None, user=caller, name="script")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get(file_url(incident, files["screen"]), HTTP_ACCEPT="image/png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_a_file_of_another_record_is_not_found_under_this_one(caller, desk_agent, incident, files):
    elsewhere = IncidentFactory(caller=caller)
    assert_error_shape(client_for(desk_agent).get(file_url(elsewhere, files["screen"])), 404)


def test_another_requester_gets_404_for_list_upload_and_file(incident, files):
    other = client_for(UserFactory(roles=[Role.REQUESTER]))
    assert_error_shape(other.get(url(incident)), 404)
    assert_error_shape(other.get(file_url(incident, files["screen"])), 404)
    assert_error_shape(upload(other, incident), 404)
    assert Attachment.objects.count() == 3


def test_confidential_ticket_is_hidden_from_agents_outside_its_group(team, files):
    secret = IncidentFactory(confidential=True, assignment_group=team)
    outsider = client_for(UserFactory(roles=[Role.AGENT]))
    assert_error_shape(outsider.get(url(secret)), 404)
    assert_error_shape(upload(outsider, secret), 404)


def test_anonymous_is_refused(incident, files):
    response = APIClient().get(url(incident))
    assert_error_shape(response, 401)
    assert_error_shape(APIClient().get(file_url(incident, files["screen"])), 401)
    assert_error_shape(upload(APIClient(), incident), 401)


def test_unknown_record_type_and_id_are_404(desk_agent, incident):
    client = client_for(desk_agent)
    assert_error_shape(client.get(url(incident, record_type="spaceship")), 404)
    missing = reverse("record-attachments", kwargs={"record_type": "incident", "id": 999999})
    assert_error_shape(client.get(missing), 404)


def test_requester_uploads_a_public_file_to_their_ticket(caller, incident):
    response = upload(client_for(caller), incident, name="../boot.log", data=b"kernel panic")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "boot.log" and body["is_public"] is True
    assert body["content_type"] == "text/plain" and body["size"] == len(b"kernel panic")
    assert names(client_for(caller).get(url(incident))) == ["boot.log"]
    stored = Attachment.objects.get()
    assert stored.uploaded_by == caller and stored.record == incident
    assert AuditEntry.objects.filter(action="attachment.created", actor=caller).count() == 1
    assert any("Attached boot.log" in e.body for e in timeline_for(record=incident))


def test_agent_adds_an_internal_file_the_requester_never_sees(desk_agent, caller, incident):
    response = upload(client_for(desk_agent), incident, name="notes.txt", internal="true")
    assert response.status_code == 201 and response.json()["is_public"] is False
    assert names(client_for(caller).get(url(incident))) == []
    assert names(client_for(desk_agent).get(url(incident))) == ["notes.txt"]


def test_requester_cannot_add_an_internal_file(caller, incident):
    response = upload(client_for(caller), incident, internal="true")
    assert_error_shape(response, 400, field="internal")
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "file"),
        ({"file": "not a file"}, "file"),
        ({"file": SimpleUploadedFile("empty.txt", b"")}, "file"),
        ({"file": SimpleUploadedFile("a.txt", b"x"), "internal": "perhaps"}, "internal"),
    ],
    ids=["missing", "text-not-file", "empty", "bad-flag"],
)
def test_bad_uploads_are_field_errors_and_store_nothing(desk_agent, incident, data, field):
    response = client_for(desk_agent).post(url(incident), data, format="multipart")
    assert_error_shape(response, 400, field=field)
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.filter(action="attachment.created").exists()


def test_file_over_the_size_limit_is_refused_with_the_limit(desk_agent, incident, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    response = upload(client_for(desk_agent), incident, data=b"x" * (1024 * 1024 + 1))
    error = assert_error_shape(response, 400, field="file")
    assert error["fields"]["file"] == ["Files may be at most 1 MB."]
    assert not Attachment.objects.exists()


def test_json_body_is_unsupported_media_type(desk_agent, incident):
    response = client_for(desk_agent).post(url(incident), {"file": "x"}, format="json")
    assert_error_shape(response, 415)
