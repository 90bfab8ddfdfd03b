"""Finished work is found by filtering the workspace queue by its state."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.views import browser_for
from opsdesk.incidents.models import State
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", [State.RESOLVED, State.CLOSED, State.CANCELLED])
@pytest.mark.parametrize("queue", ["open", "mine"])
def test_a_finished_state_filter_shows_finished_work(desk_agent, team, state, queue):
    finished = IncidentFactory(assignment_group=team, assignee=desk_agent, state=state)
    still_open = IncidentFactory(
        assignment_group=team, assignee=desk_agent, state=State.IN_PROGRESS
    )
    browser = browser_for(desk_agent)
    url = reverse("incidents:queue", args=[queue])
    page = browser.get(url, {"state": state}).content.decode()
    assert finished.number in page and still_open.number not in page
    assert "Nothing here" not in page
    # Without the filter the queue still holds open work only.
    page = browser.get(url).content.decode()
    assert still_open.number in page and finished.number not in page
