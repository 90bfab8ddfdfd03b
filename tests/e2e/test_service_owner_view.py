"""In a real browser, a service owner (not IT staff) opens the services they own from the portal
and reads how each is doing: open incidents, active alerts, availability this month."""

import pytest

from opsdesk.core.testing.factories import requester
from opsdesk.incidents.testing import IncidentFactory, make_ci
from tests.e2e.screens import assert_no_internal_values, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_service_owner_reads_the_services_they_own(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    olivia = requester(username="olivia", display_name="Olivia Owens")
    payroll = make_ci("Payroll", "business_service", service_owner=olivia)
    IncidentFactory(short_description="Payslips show last month's figures", service=payroll)

    page = sign_in(new_page(), live_server.url, olivia)
    page.get_by_role("link", name="Services I own").click()
    section = page.get_by_role("region", name="Payroll")
    expect(section).to_contain_text("Payslips show last month's figures")
    expect(section.get_by_test_id("availability")).to_have_text("100.00 %")
    expect(section).to_contain_text("No active alert.")
    assert_no_internal_values(page)
