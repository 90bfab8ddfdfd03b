"""The portal's service status says "we know about this" for an open known error on a
service the requester uses, with the workaround they may apply, so they follow it instead
of filing a duplicate."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import requester
from opsdesk.incidents.testing import make_ci
from tests.problems.test_known_errors import known_error

pytestmark = pytest.mark.django_db


def home(client):
    return client.get(reverse("servicedesk:home")).content.decode()


def test_an_open_known_error_on_a_used_service_shows_with_its_workaround(client, desk_agent, team):
    vpn = make_ci("Remote access", "business_service")
    known_error(
        desk_agent,
        team,
        "VPN client drops the tunnel hourly",
        "VPN disconnects every hour",
        "Install GlobalProtect 6.2 from Software Center.",
        public=True,
        services_=[vpn],
    )
    known_error(
        desk_agent,
        team,
        "Payroll batch needs a manual restart",
        "Payslips late",
        "The desk restarts the batch.",
        public=False,  # not for requesters: the desk applies it
        services_=[make_ci("Payroll", "business_service")],
    )
    client.force_login(requester(username="nora"))
    page = home(client)
    assert "We know about this" in page
    assert "VPN client drops the tunnel hourly" in page
    assert "Until it is fixed: Install GlobalProtect 6.2" in page
    assert "Follow Remote access" in page
    assert "Payroll batch" not in page
    assert "No known disruptions" not in page


def test_a_fixed_known_error_is_no_longer_news(client, desk_agent, team):
    from opsdesk.problems import services

    vpn = make_ci("Remote access", "business_service")
    problem = known_error(
        desk_agent, team, "VPN drops", "VPN disconnects", "Reconnect.", public=True, services_=[vpn]
    )
    problem = services.problem_transition(actor=desk_agent, problem=problem, action="start_fix")
    services.problem_transition(
        actor=desk_agent, problem=problem, action="resolve", reason="New client rolled out."
    )
    client.force_login(requester(username="nora"))
    page = home(client)
    assert "We know about this" not in page and "No known disruptions" in page
