"""The top navigation: staff get a few menus named for the work, requesters a short list."""

import re

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from opsdesk.core.testing.factories import admin, agent, requester
from opsdesk.core.testing.views import browser_for

pytestmark = pytest.mark.django_db


def main_nav(html: str) -> str:
    return re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)


def menus(html: str) -> dict[str, list[str]]:
    """Menu title -> the addresses it offers, as rendered."""
    found = {}
    for title, body in re.findall(
        r"<summary[^>]*>([^<]+)</summary>\s*<ul>(.*?)</ul>", main_nav(html), re.S
    ):
        found[title.strip()] = re.findall(r'href="([^"]+)"', body)
    return found


def every_entry(audience: set[str]) -> set[str]:
    urls = set()
    for label in settings.OPSDESK_APPS:
        config = apps.get_app_config(label.rsplit(".", 1)[-1])
        urls |= {reverse(name) for _, name, who in config.nav_items if who in audience}
    return urls


def test_admin_sees_the_entries_grouped_into_menus():
    user = admin(is_staff=True)
    found = menus(browser_for(user).get(reverse("servicedesk:my-work")).content.decode())
    assert list(found) == ["Service desk", "Operations", "Reports", "Configuration"]
    assert reverse("incidents:queue-default") in found["Service desk"]
    assert reverse("servicedesk:kb-manage") in found["Service desk"]
    assert reverse("servicedesk:home") in found["Service desk"]
    assert reverse("events:console") in found["Operations"]
    assert reverse("oncall:index") in found["Operations"]
    assert reverse("reporting:improvements") in found["Reports"]
    for name in ("cmdb:ci-list", "sla:policy-list", "core:team-list", "core:user-list"):
        assert reverse(name) in found["Configuration"]
    assert found["Configuration"][-1] == reverse("admin:index")


def test_every_entry_stays_reachable_exactly_once():
    html = browser_for(admin(is_staff=True)).get(reverse("core:home")).content.decode()
    offered = [href for hrefs in menus(html).values() for href in hrefs]
    assert len(offered) == len(set(offered))
    assert set(offered) == every_entry({"agent", "approver", "all", "admin"}) | {
        reverse("admin:index")
    }


def test_the_menus_open_from_the_keyboard_without_scripts():
    nav = main_nav(browser_for(agent()).get(reverse("core:home")).content.decode())
    # <details>/<summary>: focusable, Enter and Space toggle; a shared name keeps one open.
    assert nav.count('<details class="nav-menu" name="main-nav"') == 4
    assert "<script" not in nav and "onclick" not in nav


def test_the_current_page_marks_its_menu_and_its_link():
    user = agent()
    client = browser_for(user)
    nav = main_nav(client.get(reverse("oncall:index")).content.decode())
    assert re.search(r'<summary aria-current="true">Operations</summary>', nav)
    assert nav.count('aria-current="true"') == 1
    assert f'href="{reverse("oncall:index")}" aria-current="page"' in nav
    # A record deeper in a section still marks the section's menu, not a link.
    deeper = main_nav(client.get(reverse("core:user-detail", args=[user.pk])).content.decode())
    assert re.search(r'<summary aria-current="true">Configuration</summary>', deeper)
    assert 'aria-current="page"' not in deeper
    # The start page belongs to no menu.
    home = main_nav(client.get(reverse("core:home")).content.decode())
    assert "aria-current" not in home


def test_agent_without_staff_rights_has_no_admin_link():
    html = browser_for(agent()).get(reverse("core:home")).content.decode()
    assert reverse("admin:index") not in main_nav(html)


def test_requester_keeps_the_short_portal_navigation():
    response = browser_for(requester()).get(reverse("servicedesk:home"))
    nav = main_nav(response.content.decode())
    assert "<details" not in nav and "<summary" not in nav
    assert f'href="{reverse("servicedesk:home")}"' in nav
    for name in ("events:console", "oncall:index", "incidents:queue-default", "sla:policy-list"):
        assert reverse(name) not in nav
    assert "Operations" not in nav and "Configuration" not in nav
    offered = set(re.findall(r'href="([^"]+)"', nav))
    assert offered == every_entry({"all"})


def test_signed_out_visitors_get_no_navigation():
    html = Client().get(reverse("core:login")).content.decode()
    assert '<nav aria-label="Main">' not in html


def test_an_app_left_out_of_the_menus_lands_under_more(monkeypatch):
    from opsdesk.core import context_processors

    without_oncall = tuple(
        (key, title, tuple(app for app in app_labels if app != "oncall"))
        for key, title, app_labels in context_processors.NAV_MENUS
    )
    monkeypatch.setattr(context_processors, "NAV_MENUS", without_oncall)
    found = menus(browser_for(agent()).get(reverse("core:home")).content.decode())
    assert found["More"] == [reverse("oncall:index")]
    assert reverse("oncall:index") not in found["Operations"]


def test_approver_entries_reach_approvers_without_the_agent_menus():
    from opsdesk.core.roles import Role
    from opsdesk.core.testing.factories import UserFactory

    approver = UserFactory(roles=[Role.REQUESTER, Role.APPROVER])
    html = browser_for(approver).get(reverse("servicedesk:home")).content.decode()
    assert reverse("approvals:inbox") in main_nav(html)
    plain = browser_for(requester()).get(reverse("servicedesk:home")).content.decode()
    assert reverse("approvals:inbox") not in main_nav(plain)
