"""In a real browser, access management as its people walk it: a requester asks for
privileged access, the manager and the entitlement's owner approve it, the owner team grants
it by hand and the requester sees it on My access; a request that would break a separation of
duties says why before and when it is sent, and nothing is made; a reviewer refuses access an
administrator then takes away; an administrator processes a leaver in one batch. Everything
by visible labels."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.access import services
from opsdesk.access.models import AccessRequest, Grant, GrantState, Risk
from opsdesk.access.services import reviews
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, admin, agent, requester
from tests.access.factories import application, entitlement, manager_then_owners, package, sod_rule
from tests.e2e.screens import assert_no_internal_values, confirmed, disclose, open_menu, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def _portal(page, link: str) -> None:
    page.get_by_role("navigation", name="Portal").get_by_role("link", name=link).click()
    assert_no_internal_values(page)


def _approve_in_inbox(page, number: str, comment: str) -> None:
    page.get_by_role("link", name="My approvals").click()
    row = page.get_by_test_id("approval-row").filter(has_text=number)
    expect(row).to_contain_text("Riley Reed")
    assert_no_internal_values(page)
    row.get_by_label("Comment").fill(comment)
    row.get_by_role("button", name="Approve").click()
    confirmed(page, f"You approved {number}.")


def _riley():
    """Riley Reed, a requester; her manager Morgan Meyer approves and reviews her access."""
    morgan = UserFactory(username="morgan", display_name="Morgan Meyer", roles=[Role.APPROVER])
    return requester(username="riley", display_name="Riley Reed", manager=morgan)


def test_privileged_access_is_approved_twice_and_granted_by_the_owner_team(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    riley = _riley()
    olive = UserFactory(username="olive", display_name="Olive Owner", roles=[Role.APPROVER])
    owners = TeamFactory(name="Payroll owners")
    tom = agent(username="tom", display_name="Tom Team")
    owners.members.add(tom)
    payroll_admin = entitlement(
        "Payroll administrator",
        app=application("Payroll"),
        owner=olive,
        owner_team=owners,
        risk=Risk.PRIVILEGED,
        needs_justification=True,
        max_duration_days=30,
    )
    package(
        "Payroll admin",
        payroll_admin,
        scheme=manager_then_owners(),
        default_duration_days=14,
        description="Run and correct the payroll.",
    )

    page = sign_in(new_page(), live_server.url, riley)
    _portal(page, "Request access")
    page.get_by_role("link", name="Payroll admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payroll admin")
    expect(page.get_by_role("complementary")).to_contain_text("Privileged risk")
    assert_no_internal_values(page)
    page.get_by_label("Why do you need it?").fill("Year-end close of the payroll.")
    page.get_by_role("button", name="Ask for access").click()
    confirmed(page, "is submitted")
    number = page.get_by_role("heading", level=1).inner_text().split(" ")[0]
    assert re.fullmatch(r"ACC\d+", number), number
    expect(page.get_by_test_id("request-state")).to_have_text("Awaiting approval")
    expect(page.get_by_test_id("approvals")).to_contain_text("Morgan Meyer: waiting")

    _approve_in_inbox(sign_in(new_page(), live_server.url, riley.manager), number, "Agreed.")
    page.reload()
    expect(page.get_by_test_id("request-state")).to_have_text("Awaiting approval")
    expect(page.get_by_test_id("approvals")).to_contain_text("Olive Owner: waiting")

    _approve_in_inbox(sign_in(new_page(), live_server.url, olive), number, "For the close only.")
    page.reload()
    # No directory is connected: the owner team grants it by hand, so it is not there yet.
    expect(page.get_by_test_id("request-state")).to_have_text("Being granted")
    expect(page.get_by_test_id("grants")).to_contain_text("Payroll administrator")
    expect(page.get_by_test_id("provisioning")).to_have_text("Being provisioned")
    assert_no_internal_values(page)

    desk = sign_in(new_page(), live_server.url, tom)
    open_menu(desk, "Service desk", "Access")
    desk.get_by_role("link", name="1 to do by hand").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Provisioning")
    row = desk.get_by_role("row").filter(has_text="Riley Reed")
    expect(row).to_contain_text("Payroll — Payroll administrator")
    expect(row).to_contain_text("By hand (Payroll owners)")
    assert_no_internal_values(desk)
    row.get_by_role("button", name="Mark done").click()
    confirmed(desk, "Marked done.")
    expect(desk.get_by_text("Nothing is waiting to be done by hand.")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("request-state")).to_have_text("Granted")
    expect(page.get_by_test_id("provisioning")).to_have_text("Provisioned")
    _portal(page, "My access")
    held = page.get_by_role("row").filter(has_text="Payroll administrator")
    expect(held).to_contain_text("Active")
    expect(held).to_contain_text(number)


def test_a_request_that_breaks_a_separation_of_duties_says_why_and_makes_nothing(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    riley = _riley()
    erp = application("ERP")
    approve = entitlement("Approve payments", app=erp)
    create = entitlement("Create vendors", app=erp)
    sod_rule(
        "Vendor fraud",
        [approve],
        [create],
        description="Whoever creates a vendor must not approve payments to it.",
    )
    services.grant_create(
        actor=admin(), holder=riley, entitlement=create, source="rule", already_provisioned=True
    )
    package("Payments approver", approve)

    page = sign_in(new_page(), live_server.url, riley)
    _portal(page, "Request access")
    page.get_by_role("link", name="Payments approver").click()
    # The check shows as the page opens and again as the requester says until when.
    until = timezone.localtime() + timedelta(days=7)
    page.get_by_label("Until:", exact=True).fill(until.strftime("%Y-%m-%dT%H:%M"))
    notice = page.get_by_test_id("sod-check")
    expect(notice).to_contain_text("This conflicts with access already held.")
    expect(notice).to_contain_text("“Vendor fraud”: one person may not hold")
    expect(notice).to_contain_text("It cannot be granted.")
    assert_no_internal_values(page)
    page.get_by_label("Why do you need it?").fill("Covering for Sam.")
    page.get_by_role("button", name="Ask for access").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Vendor fraud")
    expect(refusal).to_contain_text("Whoever creates a vendor must not approve payments to it.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments approver")
    assert_no_internal_values(page)

    assert not AccessRequest.objects.exists()
    assert list(Grant.objects.values_list("entitlement__name", flat=True)) == ["Create vendors"]


def test_a_reviewer_refuses_access_and_the_administrator_takes_it_away(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    riley = _riley()
    ada = admin(username="ada", display_name="Ada Admin")
    crm = entitlement("CRM editor", app=application("CRM"))
    services.grant_create(
        actor=ada, holder=riley, entitlement=crm, source="rule", already_provisioned=True
    )
    campaign = reviews.campaign_create(
        actor=ada, name="Year-end review", deadline=timezone.now() + timedelta(days=7)
    )
    reviews.campaign_start(actor=ada, campaign=campaign)

    reviewer = sign_in(new_page(), live_server.url, riley.manager)
    _portal(reviewer, "My access")
    reviewer.get_by_role("link", name="1 access review waits for your decision.").click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Access reviews")
    item = reviewer.get_by_role("region", name="Riley Reed · CRM: CRM editor")
    expect(item).to_contain_text("Year-end review")
    assert_no_internal_values(reviewer)
    item.get_by_label("Revoke").check()
    item.get_by_label("Comment").fill("Moved to the warehouse team.")
    item.get_by_role("button", name="Save decision").click()
    confirmed(reviewer, "Revoke: CRM editor for Riley Reed.")
    expect(reviewer.get_by_text("No access reviews are waiting for you.")).to_be_visible()

    desk = sign_in(new_page(), live_server.url, ada)
    open_menu(desk, "Service desk", "Access")
    desk.get_by_role("link", name="Access reviews").click()
    desk.get_by_role("link", name="Year-end review").click()
    expect(desk.get_by_test_id("campaign-state")).to_have_text("Under way")
    assert_no_internal_values(desk)
    desk.get_by_role("button", name="Close for decisions").click()
    confirmed(desk, "Closed.")
    expect(desk.get_by_role("heading", name="What applying will do")).to_be_visible()
    applying = desk.get_by_test_id("dry-run")
    expect(applying).to_have_text(
        "End: Riley Reed — CRM: CRM editor (Moved to the warehouse team.)"
    )
    # Deciding takes nothing away; only applying does.
    assert Grant.objects.get().state == GrantState.ACTIVE
    desk.get_by_role("button", name="Apply the decisions").click()
    confirmed(desk, "1 grants revoked")

    holder = sign_in(new_page(), live_server.url, riley)
    _portal(holder, "My access")
    expect(holder.get_by_role("row").filter(has_text="CRM editor")).to_contain_text("Ended")


def test_an_administrator_processes_a_leaver_and_every_grant_ends_at_once(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    riley = _riley()
    ada = admin(username="ada", display_name="Ada Admin")
    for name in ("CRM editor", "Shared drive"):
        services.grant_create(
            actor=ada,
            holder=riley,
            entitlement=entitlement(name, app=application(f"{name} app")),
            source="rule",
            already_provisioned=True,
        )

    page = sign_in(new_page(), live_server.url, ada)
    open_menu(page, "Service desk", "Access")
    page.get_by_role("link", name="Who has what").click()
    expect(page.get_by_role("row").filter(has_text="Riley Reed")).to_have_count(2)
    assert_no_internal_values(page)
    page.get_by_role("link", name="Riley Reed").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley Reed")
    disclose(page, "Process as a leaver now")
    page.get_by_label("Why").fill("Last day was Friday.")
    page.get_by_role("button", name="Remove all access").click()
    confirmed(page, "Riley Reed has left: 2 grants are being removed, sign-ins ended.")
    expect(page.get_by_text("Left", exact=True)).to_be_visible()
    for name in ("CRM editor", "Shared drive"):
        row = page.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text("Ended")
        expect(row).to_contain_text("Person left")
    assert set(Grant.objects.values_list("state", flat=True)) == {GrantState.ENDED}
