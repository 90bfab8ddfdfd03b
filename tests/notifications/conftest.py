import pytest
from django.utils import timezone

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.services import incident_open
from opsdesk.notifications.tasks import send_due
from tests.notifications.servers import SmtpServer


@pytest.fixture
def lead(db):
    return UserFactory(roles=[Role.TEAM_LEAD], username="lead")


@pytest.fixture
def team(db, lead):
    team = TeamFactory(name="Network Operations", lead=lead)
    team.members.add(lead)
    return team


@pytest.fixture
def agent(team):
    user = UserFactory(roles=[Role.AGENT], username="nina")
    team.members.add(user)
    return user


@pytest.fixture
def other_agent(team):
    user = UserFactory(roles=[Role.AGENT], username="omar")
    team.members.add(user)
    return user


@pytest.fixture
def caller(db):
    return UserFactory(roles=[Role.REQUESTER], username="carla")


@pytest.fixture
def incident(agent, caller, team):
    return incident_open(
        actor=agent,
        caller=caller,
        short_description="VPN drops every ten minutes",
        assignment_group=team,
        assignee=agent,
    )


@pytest.fixture
def deliver():
    """Run the worker once: hand out the outbox, then send what is due at ``at``."""

    def run(at=None):
        outbox_deliver_due(now=at)
        return send_due(now=at or timezone.now())

    return run


@pytest.fixture
def later():
    """A moment after every digest window has closed."""
    return lambda minutes=5: timezone.now() + timezone.timedelta(minutes=minutes)


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()
