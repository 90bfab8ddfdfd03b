"""Every page has an icon, and administrators find the sent-mail page from the menu."""

from django.urls import reverse

from opsdesk.core.testing.factories import admin, agent
from opsdesk.core.testing.views import browser_for


def test_favicon_ico_is_served_not_404(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)


def test_pages_link_their_icon(db):
    page = browser_for(agent()).get(reverse("core:home")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page


def test_sent_mail_is_in_the_menu_for_administrators_only(db):
    sent_mail = reverse("notifications:sent-mail-list")
    admin_page = browser_for(admin()).get(reverse("core:home")).content.decode()
    assert f'href="{sent_mail}"' in admin_page and "Sent mail" in admin_page
    agent_page = browser_for(agent()).get(reverse("core:home")).content.decode()
    assert sent_mail not in agent_page and "Sent mail" not in agent_page
