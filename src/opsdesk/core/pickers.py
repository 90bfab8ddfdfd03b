"""Search-as-you-type pickers for people and teams, shared by every form that chooses one.

A picker is a text input. Without JavaScript it accepts an e-mail address, a username or a
team's name; with it, typing asks ``/people/pick/?q=`` (or ``/teams/pick/``) for matching
options, and choosing one writes ``Name <e-mail>`` into the input. The server reads the part
in angle brackets, so what the browser sends is checked the same way however it was typed.
"""

import re

from django import forms
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.http import urlencode

from opsdesk.core.models import Team, User
from opsdesk.core.roles import AGENT_ROLES

PICK_LIMIT = 10
# Who a person picker offers: everyone who can sign in, or only those who work tickets.
PERSON_SCOPES = {
    "people": lambda: User.objects.filter(is_active=True),
    # What anyone signed in may search, by a few letters at least (ordering for a colleague).
    "colleagues": lambda: User.objects.filter(is_active=True),
    "agents": lambda: User.objects.filter(
        is_active=True, groups__name__in=[str(r) for r in AGENT_ROLES]
    ).distinct(),
}
_BRACKETED = re.compile(r"<([^<>]+)>\s*$")


def people_in(scope: str):
    return PERSON_SCOPES.get(scope, PERSON_SCOPES["people"])()


def _shared_emails(users) -> set[str]:
    """The e-mail addresses among ``users`` that more than one account has."""
    emails = {u.email.lower() for u in users if u.email}
    if not emails:
        return set()
    return set(
        User.objects.annotate(key=Lower("email"))
        .filter(key__in=emails)
        .values("key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("key", flat=True)
    )


def person_key(user, shared: set[str] = frozenset()) -> str:
    """What identifies a person in a picker: the e-mail, or the username when it is shared."""
    if user.email and user.email.lower() not in shared:
        return user.email
    return user.username


def person_value(user, shared: set[str] | None = None) -> str:
    """The text a picker holds for ``user``: ``Name <e-mail>``."""
    if shared is None:
        shared = _shared_emails([user])
    return f"{user} <{person_key(user, shared)}>"


def person_options(users) -> list[dict]:
    """Picker options: name with e-mail and department, so two Alex Kims can be told apart."""
    shared = _shared_emails(users)
    options = []
    for user in users:
        details = [user.email or user.username]
        if user.department:
            details.append(user.department)
        options.append(
            {"value": person_value(user, shared), "label": str(user), "details": details}
        )
    return options


def search_people(query: str, *, scope: str = "people"):
    """People whose name, username, e-mail or department contain every typed word."""
    queryset = people_in(scope)
    for word in query.split()[:5]:
        queryset = queryset.filter(
            Q(display_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
            | Q(department__icontains=word)
        )
    return queryset.order_by("display_name", "last_name", "first_name", "username")


def search_teams(query: str):
    queryset = Team.objects.all()
    for word in query.split()[:5]:
        queryset = queryset.filter(Q(name__icontains=word) | Q(email__icontains=word))
    return queryset.order_by("name")


def team_options(teams) -> list[dict]:
    return [
        {
            "value": team.name,
            "label": team.name,
            "details": [d for d in (team.get_type_display(), team.email) if d],
        }
        for team in teams
    ]


def _typed_key(text: str) -> str:
    text = (text or "").strip()
    bracketed = _BRACKETED.search(text)
    return bracketed.group(1).strip() if bracketed else text


class PickerInput(forms.TextInput):
    """A text input that suggests matches as one types (see the module docstring)."""

    template_name = "core/widgets/picker.html"

    def __init__(self, *, source: tuple[str, dict], noun: str, attrs=None):
        self.source, self.noun = source, noun
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        url, query = self.source
        widget["source"] = f"{reverse(url)}?{urlencode({**query, 'field': name})}"
        widget["noun"] = self.noun
        widget["listbox_id"] = f"{widget['attrs'].get('id') or name}-options"
        return context


class PersonField(forms.Field):
    """Chooses one person by e-mail, username or a picked ``Name <e-mail>``; cleans to a User."""

    default_error_messages = {
        "unknown": "No one here has this e-mail or username: %(value)s.",
        "ambiguous": "Several people share %(value)s; type their username instead.",
    }

    def __init__(self, *, scope: str = "people", **kwargs):
        self.scope = scope
        kwargs.setdefault("help_text", "Type a name, e-mail or username and pick from the list.")
        kwargs.setdefault(
            "widget", PickerInput(source=("core:person-pick", {"scope": scope}), noun="people")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            value = User.objects.filter(pk=value).first() or value
        if isinstance(value, User):
            return person_value(value)
        return value

    def to_python(self, value):
        key = _typed_key(value)
        if not key:
            return None
        people = people_in(self.scope)
        found = people.filter(username__iexact=key).first()
        if found is None:
            matches = list(people.filter(email__iexact=key)[:2])
            if len(matches) > 1:
                raise forms.ValidationError(
                    self.error_messages["ambiguous"], code="ambiguous", params={"value": key}
                )
            found = matches[0] if matches else None
        if found is None and key.isdigit():
            # Older pages and scripts post the person's id; it names them as surely.
            found = people.filter(pk=int(key)).first()
        if found is None:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": key}
            )
        return found

    def has_changed(self, initial, data):
        initial = self.prepare_value(initial)
        return super().has_changed(initial, data)


class TeamField(forms.Field):
    """Chooses one team by its name; cleans to a Team."""

    default_error_messages = {"unknown": "There is no team called %(value)s."}

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Type part of the team's name and pick from the list.")
        kwargs.setdefault("widget", PickerInput(source=("core:team-pick", {}), noun="teams"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            value = Team.objects.filter(pk=value).first() or value
        if isinstance(value, Team):
            return value.name
        return value

    def to_python(self, value):
        name = (value or "").strip()
        if not name:
            return None
        team = Team.objects.filter(name__iexact=name).first()
        if team is None and name.isdigit():
            team = Team.objects.filter(pk=int(name)).first()
        if team is None:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": name}
            )
        return team
