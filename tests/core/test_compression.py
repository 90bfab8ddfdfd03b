"""What a browser receives compressed: static files (gzip, under content-hashed names that may
be cached for a year) and pages; attachments go out as stored."""

import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings
from django.urls import reverse

from opsdesk.core.attachments import attachment_store
from opsdesk.core.models import User
from opsdesk.core.testing.factories import requester
from opsdesk.core.testing.views import browser_for

HTMX = "django_htmx/htmx-2.min.js"


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """Static files collected as ``opsdesk serve`` collects them on start (once: seconds)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_static_files_are_sent_gzipped_under_hashed_names(collected):
    url = static(HTMX)
    assert url != "/static/" + HTMX and url.startswith("/static/django_htmx/htmx-2.min.")
    plain = (collected / HTMX).read_bytes()

    zipped = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    compressed = body(zipped)
    assert len(compressed) < len(plain) / 2
    assert gzip.decompress(compressed) == plain
    # The name changes with the content, so browsers may keep it for good.
    assert "immutable" in zipped["Cache-Control"]

    unzipped = Client().get(url)
    assert "Content-Encoding" not in unzipped
    assert body(unzipped) == plain


def test_pages_link_the_hashed_stylesheet_once_collected(collected):
    page = Client().get(reverse("core:login")).content.decode()
    assert static("core/opsdesk.css") in page
    assert 'href="/static/core/opsdesk.css"' not in page


def test_before_collectstatic_pages_link_plain_names_that_are_served(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "empty"
    settings.STATIC_ROOT.mkdir()
    client = Client()
    page = client.get(reverse("core:login")).content.decode()
    assert 'href="/static/core/opsdesk.css"' in page
    assert client.get("/static/core/opsdesk.css").status_code == 200


@pytest.mark.django_db
def test_pages_are_gzipped_for_browsers_that_accept_it():
    zipped = Client().get(reverse("core:login"), HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert b"Sign in" in gzip.decompress(zipped.content)

    plain = Client().get(reverse("core:login"))
    assert "Content-Encoding" not in plain
    assert b"Sign in" in plain.content


@pytest.mark.django_db
def test_attachments_are_sent_as_stored(attachment_dir, monkeypatch):
    monkeypatch.setattr(User, "is_visible_to", lambda self, user: self.pk == user.pk, raising=False)
    owner = requester()
    text = b"a log line that repeats\n" * 200
    attachment = attachment_store(record=owner, upload=SimpleUploadedFile("app.log", text))
    client = browser_for(owner)
    url = reverse("core:attachment-download", kwargs={"pk": attachment.pk})
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in response
    assert response["Content-Length"] == str(len(text))
    assert body(response) == text
