"""The people and team pickers: who may search, what they see, and what a form accepts."""

import re
from html import unescape

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from opsdesk.core.pickers import PICK_LIMIT, PersonField, TeamField
from opsdesk.core.testing.factories import TeamFactory, UserFactory, admin, agent, requester

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def options(response) -> list[str]:
    """The values a picker would write, in the order offered."""
    return [unescape(v) for v in re.findall(r'data-value="([^"]*)"', response.content.decode())]


class CallerForm(forms.Form):
    caller = PersonField()
    group = TeamField(required=False)


def test_namesakes_are_told_apart_by_email_and_department():
    UserFactory(username="akim1", display_name="Alex Kim", email="alex.kim@example.com")
    UserFactory(
        username="akim2",
        display_name="Alex Kim",
        email="a.kim@example.com",
        department="Warehouse",
    )
    response = signed_in(agent()).get(reverse("core:person-pick"), {"q": "alex kim"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('role="option"') == 2
    assert "alex.kim@example.com · Finance" in page
    assert "a.kim@example.com · Warehouse" in page
    assert escape("Alex Kim <alex.kim@example.com>") in page


def test_the_picker_sends_its_text_under_its_own_name():
    UserFactory(display_name="Priya Raman")
    response = signed_in(agent()).get(
        reverse("core:person-pick"), {"field": "caller", "caller": "priya"}
    )
    assert "Priya Raman" in response.content.decode()


def test_requesters_may_not_list_people_or_teams():
    UserFactory(display_name="Priya Raman")
    client = signed_in(requester())
    assert client.get(reverse("core:person-pick"), {"q": "priya"}).status_code == 403
    assert client.get(reverse("core:team-pick"), {"q": "a"}).status_code == 403
    anonymous = Client().get(reverse("core:person-pick"), {"q": "priya"})
    assert anonymous.status_code == 302


def test_results_are_capped_and_say_there_are_more():
    for n in range(PICK_LIMIT + 3):
        UserFactory(username=f"cap{n}", display_name=f"Casey {n:02d}")
    response = signed_in(agent()).get(reverse("core:person-pick"), {"q": "casey"})
    page = response.content.decode()
    assert page.count('role="option"') == PICK_LIMIT
    assert "More people match; keep typing" in page


def test_nothing_is_listed_before_anything_is_typed_and_a_miss_says_so():
    UserFactory(display_name="Priya Raman")
    client = signed_in(agent())
    assert 'role="option"' not in client.get(reverse("core:person-pick")).content.decode()
    miss = client.get(reverse("core:person-pick"), {"q": "zzzz"}).content.decode()
    assert "No people match." in miss


def test_agent_scope_offers_only_people_who_work_tickets():
    agent(display_name="Dana Agent")
    requester(display_name="Dana Requester")
    UserFactory(display_name="Dana Gone", is_active=False)
    client = signed_in(agent())
    everyone = client.get(reverse("core:person-pick"), {"q": "dana"}).content.decode()
    assert "Dana Agent" in everyone and "Dana Requester" in everyone
    assert "Dana Gone" not in everyone
    agents = client.get(reverse("core:person-pick"), {"q": "dana", "scope": "agents"})
    assert "Dana Agent" in agents.content.decode()
    assert "Dana Requester" not in agents.content.decode()


def test_team_picker_shows_names():
    TeamFactory(name="Database Administrators")
    TeamFactory(name="Service Desk")
    response = signed_in(admin()).get(reverse("core:team-pick"), {"q": "data"})
    assert options(response) == ["Database Administrators"]


def test_widget_is_a_labelled_combobox_that_works_as_a_text_input():
    html = CallerForm().as_div()
    assert '<label for="id_caller">Caller:</label>' in html
    assert 'type="text" name="caller"' in html
    assert 'role="combobox"' in html and 'aria-controls="id_caller-options"' in html
    assert 'hx-get="/people/pick/?scope=people&amp;field=caller"' in html
    assert 'role="listbox"' in html
    # The help says what to type, and the input points at it.
    assert "Type a name, e-mail or username" in html
    assert 'aria-describedby="id_caller_helptext"' in html


def test_form_accepts_an_email_a_username_or_a_picked_option():
    person = UserFactory(username="praman", display_name="Priya Raman", email="p@example.com")
    for typed in ("p@example.com", "PRAMAN", "Priya Raman <p@example.com>"):
        form = CallerForm({"caller": typed})
        assert form.is_valid(), (typed, form.errors)
        assert form.cleaned_data["caller"] == person


def test_unknown_or_inactive_person_is_a_field_error():
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    for typed in ("nobody@example.com", "gone@example.com", "Someone <nobody@example.com>"):
        form = CallerForm({"caller": typed})
        assert not form.is_valid()
        assert "No one here has this e-mail or username" in form.errors["caller"][0]


def test_a_shared_email_is_refused_and_offered_by_username():
    UserFactory(username="desk1", display_name="Front desk", email="desk@example.com")
    UserFactory(username="desk2", display_name="Front desk", email="desk@example.com")
    form = CallerForm({"caller": "desk@example.com"})
    assert not form.is_valid()
    assert "type their username" in form.errors["caller"][0]
    response = signed_in(agent()).get(reverse("core:person-pick"), {"q": "front desk"})
    assert options(response) == ["Front desk <desk1>", "Front desk <desk2>"]
    assert CallerForm({"caller": "Front desk <desk2>"}).is_valid()


def test_unknown_team_is_a_field_error():
    TeamFactory(name="Network")
    assert CallerForm({"caller": agent().username, "group": "network"}).is_valid()
    form = CallerForm({"caller": agent().username, "group": "Netwrk"})
    assert form.errors["group"] == ["There is no team called Netwrk."]


def test_team_lead_user_manager_and_service_owner_are_pickers_that_refuse_strangers(db):
    from opsdesk.cmdb.forms import CIForm
    from opsdesk.core.forms import TeamForm, UserForm
    from opsdesk.core.testing.factories import UserFactory

    lead = UserFactory(email="lee.lead@example.com")
    team = TeamForm(data={"name": "Desk", "type": "service_desk", "lead": "nobody@example.com"})
    assert "No one here has this e-mail" in " ".join(team.errors["lead"])
    team = TeamForm(data={"name": "Desk", "type": "service_desk", "lead": lead.email})
    team.is_valid()
    assert "lead" not in team.errors and team.cleaned_data["lead"] == lead
    assert 'role="combobox"' in str(TeamForm()["lead"])
    assert 'role="combobox"' in str(CIForm()["service_owner"])
    user = UserForm(instance=lead, data={"username": lead.username, "manager": lead.email})
    assert "their own manager" in " ".join(user.errors["manager"])


def test_a_requester_finds_a_colleague_to_order_for(client, db):
    from opsdesk.core.testing.factories import requester

    requester(username="nina", display_name="Nina Novak", email="nina@example.com")
    client.force_login(requester(username="riley"))
    page = client.get("/people/pick/?scope=colleagues&q=Nina").content.decode()
    assert "Nina Novak" in page and "nina@example.com" in page
    # A letter or two lists nobody; the other scopes stay the desk's.
    assert "Nina" not in client.get("/people/pick/?scope=colleagues&q=Ni").content.decode()
    assert client.get("/people/pick/?scope=people&q=Nina").status_code == 403
    assert client.get("/teams/pick/?q=Desk").status_code == 403
