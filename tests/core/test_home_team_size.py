"""The agent home and the team page agree on how many people a team has."""

import pytest
from django.urls import reverse

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.testing.views import browser_for

pytestmark = pytest.mark.django_db


def test_home_counts_every_member_the_team_page_lists():
    team = TeamFactory(name="Service Desk")
    agents = [UserFactory(roles=[Role.AGENT]) for _ in range(6)]
    team.members.add(*agents)
    browser = browser_for(agents[0])
    home = browser.get(reverse("core:home"))
    assert home.context["my_teams"].get(pk=team.pk).member_count == 6
    detail = browser.get(reverse("core:team-detail", args=[team.pk]))
    assert len(list(detail.context["members"])) == 6
