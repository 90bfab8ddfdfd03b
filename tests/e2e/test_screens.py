"""The leak check itself: what it flags and what it lets through."""

import pytest

from tests.e2e.screens import internal_values


@pytest.mark.parametrize(
    "text",
    [
        "State: in_progress",
        "Hold reason awaiting_caller.",
        "Assignee None",
        "Labels {'env': 'prod'}",
        "Events [{'summary': 'x'}]",
        "Caller <User object>",
        "Team object (3)",
    ],
)
def test_flags_internal_values(text):
    assert internal_values(text)


@pytest.mark.parametrize(
    "text",
    [
        "In progress · Awaiting caller",
        "Affected services: None recorded.",
        "Send to https://example.com/api/events/my_hook",
        "Mail dana_dubois@example.com",
    ],
)
def test_lets_people_words_through(text):
    assert not internal_values(text)
