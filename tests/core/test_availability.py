"""An agent's availability for automatic assignment: who may change it, and the switch."""

import pytest
from django.urls import reverse

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.forms import UserForm
from opsdesk.core.models import AuditEntry, User
from opsdesk.core.services import user_set_available
from opsdesk.core.testing.factories import admin, agent, requester
from opsdesk.core.testing.views import browser_for, form_post_data

pytestmark = pytest.mark.django_db


def availability_entries(user) -> list[dict]:
    return list(
        AuditEntry.objects.filter(
            action="user.availability_changed", object_id=str(user.pk)
        ).values_list("changes", flat=True)
    )


class TestService:
    def test_an_agent_sets_themself_away_and_back_audited(self):
        person = agent()
        assert person.available  # everyone starts available
        away = user_set_available(actor=person, user=person, available=False)
        assert away.available is False
        user_set_available(actor=person, user=person, available=True)
        assert [c["available"] for c in availability_entries(person)] == [
            {"from": True, "to": False},
            {"from": False, "to": True},
        ]

    def test_setting_the_same_value_again_changes_and_audits_nothing(self):
        person = agent()
        user_set_available(actor=person, user=person, available=False)
        version = User.objects.get(pk=person.pk).version
        user_set_available(actor=person, user=person, available=False)
        assert User.objects.get(pk=person.pk).version == version
        assert len(availability_entries(person)) == 1

    def test_an_administrator_may_set_someone_else_away(self):
        person, boss = agent(), admin()
        user_set_available(actor=boss, user=person, available=False)
        person.refresh_from_db()
        assert person.available is False
        entry = AuditEntry.objects.get(action="user.availability_changed")
        assert entry.actor_id == boss.pk

    @pytest.mark.parametrize("make_actor", [agent, requester, lambda: None])
    def test_nobody_else_may(self, make_actor):
        person = agent()
        with pytest.raises(NotPermitted):
            user_set_available(actor=make_actor(), user=person, available=False)
        person.refresh_from_db()
        assert person.available and availability_entries(person) == []

    def test_only_on_or_off(self):
        person = agent()
        with pytest.raises(ValidationFailed) as failure:
            user_set_available(actor=person, user=person, available="no")
        assert "available" in failure.value.fields


class TestSwitch:
    def post(self, signed_in, **data):
        data.setdefault("form", "availability")
        return browser_for(signed_in).post(reverse("core:profile"), data)

    def test_profile_page_shows_the_switch_and_sets_away(self):
        person = agent()
        page = browser_for(person).get(reverse("core:profile"))
        assert b'data-testid="availability"' in page.content
        assert b"Set me away" in page.content
        response = self.post(person, available="0")
        assert response.status_code == 302 and response["Location"] == reverse("core:profile")
        person.refresh_from_db()
        assert person.available is False
        page = browser_for(person).get(reverse("core:profile"))
        assert b"Set me available" in page.content and b"<strong>away</strong>" in page.content
        assert b'data-testid="away-badge"' in page.content

    def test_user_menu_switch_returns_to_the_page_it_was_used_on(self):
        person = agent()
        home = browser_for(person).get(reverse("core:home"))
        assert b'data-testid="availability-toggle"' in home.content
        response = self.post(person, available="0", next=reverse("core:home"))
        assert response["Location"] == reverse("core:home")
        person.refresh_from_db()
        assert person.available is False

    def test_a_foreign_next_address_is_ignored(self):
        person = agent()
        response = self.post(person, available="0", next="https://evil.example/")
        assert response["Location"] == reverse("core:profile")

    def test_bad_input_changes_nothing_and_says_so(self):
        person = agent()
        response = browser_for(person).post(
            reverse("core:profile"), {"form": "availability", "available": "maybe"}, follow=True
        )
        assert response.status_code == 200
        assert b"Choose available or away." in response.content
        person.refresh_from_db()
        assert person.available and availability_entries(person) == []

    def test_requesters_do_not_get_the_switch(self):
        page = browser_for(requester()).get(reverse("core:profile"))
        assert b'data-testid="availability"' not in page.content
        assert b'data-testid="availability-toggle"' not in page.content

    def test_the_switch_changes_only_the_signed_in_user(self):
        person, other = agent(), agent()
        self.post(person, available="0", user=str(other.pk), pk=str(other.pk))
        other.refresh_from_db()
        assert other.available

    def test_an_administrator_sets_someone_away_on_their_edit_page(self):
        person, boss = agent(), admin()
        data = form_post_data(UserForm(instance=person))
        data.pop("available", None)  # unticked
        response = browser_for(boss).post(reverse("core:user-edit", args=[person.pk]), data)
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.available is False

    def test_an_agent_cannot_use_the_edit_page_for_someone_else(self):
        person, colleague = agent(), agent()
        data = form_post_data(UserForm(instance=person))
        data.pop("available", None)
        response = browser_for(colleague).post(reverse("core:user-edit", args=[person.pk]), data)
        assert response.status_code in (403, 404)
        person.refresh_from_db()
        assert person.available


def test_the_users_api_shows_availability_but_does_not_change_it(db):
    from opsdesk.core.testing.api import client_for

    away = agent(username="away.agent")
    user_set_available(actor=away, user=away, available=False)
    client = client_for(admin())
    url = reverse("user-detail", args=[away.pk])
    assert client.get(url).json()["available"] is False
    away.refresh_from_db()
    client.patch(url, {"available": True, "version": away.version}, format="json")
    away.refresh_from_db()
    assert away.available is False  # changed only through the audited availability switch
