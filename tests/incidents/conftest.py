import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents.testing import IncidentFactory


@pytest.fixture
def mim(db):
    return UserFactory(roles=[Role.AGENT, Role.MAJOR_INCIDENT_MANAGER])


@pytest.fixture
def incident(team, caller):
    return IncidentFactory(assignment_group=team, caller=caller)
