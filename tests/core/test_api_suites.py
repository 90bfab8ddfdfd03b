"""Users, teams and tokens through the generic API suite, plus their specific rules."""

from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite
from opsdesk.core.testing.factories import TeamFactory, UserFactory


class TestTeamAPI(APICrudSuite):
    basename = "team"
    factory = TeamFactory
    create_data = {"name": "Network operations", "type": "operations"}
    update_data = {"description": "Routers, switches and firewalls"}
    invalid_data = {"type": "sales"}
    reader_roles = [Role.AGENT, Role.TEAM_LEAD]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]

    def make_for_filters(self):
        team = TeamFactory(lead=UserFactory(), escalation_team=TeamFactory())
        team.members.add(UserFactory())
        return team


class TestUserAPI(APICrudSuite):
    basename = "user"
    factory = UserFactory
    create_data = {
        "username": "new.starter",
        "email": "new.starter@example.com",
        "roles": ["requester"],
    }
    update_data = {"department": "Legal"}
    invalid_data = {"email": "not-an-email"}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]

    def make_for_filters(self):
        user = UserFactory(location="Leeds, floor 3", manager=UserFactory(), roles=[Role.AGENT])
        TeamFactory().members.add(user)
        return user
