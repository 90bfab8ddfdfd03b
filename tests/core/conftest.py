import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(name="Service Desk")


@pytest.fixture
def desk_agent(team):
    user = UserFactory(roles=[Role.AGENT])
    team.members.add(user)
    return user


@pytest.fixture
def caller(db):
    return UserFactory(roles=[Role.REQUESTER])
