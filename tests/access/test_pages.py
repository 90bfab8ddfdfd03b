"""The pages people use: asking for access on the portal (and seeing a conflict before
submitting), following it, reviewing, and the desk's reports."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.access import services
from opsdesk.access.models import AccessRequest, Grant, ProvisioningStep, ReviewItem
from opsdesk.access.services import reviews
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory, admin, agent
from tests.access.factories import entitlement, manager_then_owners, package, sod_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def riley(db):
    boss = UserFactory(username="boss", roles=[Role.APPROVER])
    return UserFactory(username="riley", roles=[Role.REQUESTER], manager=boss, department="Finance")


def test_a_requester_asks_for_access_and_follows_it(client, riley):
    ent = entitlement("Payroll viewer", needs_justification=True)
    pkg = package("Payroll reports", ent, scheme=manager_then_owners(), default_duration_days=30)
    client.force_login(riley)
    listing = client.get(reverse("access:portal-packages")).content.decode()
    assert "Payroll reports" in listing
    page = client.get(reverse("access:portal-order", args=[pkg.slug])).content.decode()
    assert "Payroll viewer" in page and "Say why you need it." in page
    refused = client.post(reverse("access:portal-order", args=[pkg.slug]), {})
    assert refused.status_code == 200
    assert "Say why you need this access." in refused.content.decode()
    assert not AccessRequest.objects.exists()
    made = client.post(
        reverse("access:portal-order", args=[pkg.slug]), {"justification": "Month-end"}, follow=True
    )
    body = made.content.decode()
    req = AccessRequest.objects.get()
    assert f"{req.number} is submitted" in body
    assert "Awaiting approval" in body and "awaiting_approval" not in body
    mine = client.get(reverse("access:my-access")).content.decode()
    assert req.number in mine


def test_the_requester_sees_a_blocking_conflict_before_submitting(client, riley):
    approve = entitlement("Approve payments")
    create = entitlement("Create vendors")
    sod_rule("Vendor fraud", [approve], [create])
    services.grant_create(actor=admin(), holder=riley, entitlement=create, source="rule")
    pkg = package("Payments approver", approve)
    client.force_login(riley)
    opened = client.get(reverse("access:portal-order", args=[pkg.slug])).content.decode()
    assert "Vendor fraud" in opened  # before anything is typed
    check = client.get(
        reverse("access:portal-order", args=[pkg.slug]),
        {"valid_to": ""},
        headers={"HX-Request": "true", "HX-Target": "sod-check"},
    ).content.decode()
    assert "Vendor fraud" in check and "It cannot be granted." in check
    refused = client.post(reverse("access:portal-order", args=[pkg.slug]), {})
    assert "Vendor fraud" in refused.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_package_outside_the_audience_is_not_found(client, riley):
    pkg = package("HR admin", entitlement("HR admin"), audience_departments=["HR"])
    client.force_login(riley)
    assert client.get(reverse("access:portal-order", args=[pkg.slug])).status_code == 404
    assert "HR admin" not in client.get(reverse("access:portal-packages")).content.decode()


def test_a_reviewer_decides_on_the_portal(client, riley):
    manager = admin()
    services.grant_create(
        actor=manager, holder=riley, entitlement=entitlement("CRM"), source="rule"
    )
    campaign = reviews.campaign_create(
        actor=manager, name="Q4", deadline=timezone.now() + timedelta(days=3)
    )
    reviews.campaign_start(actor=manager, campaign=campaign)
    boss = riley.manager
    client.force_login(boss)
    page = client.get(reverse("access:my-reviews")).content.decode()
    assert "CRM" in page and str(riley) in page
    item = ReviewItem.objects.get()
    done = client.post(
        reverse("access:review-decide", args=[item.pk]),
        {"decision": "revoke", "comment": "Left the team"},
        follow=True,
    )
    assert "Revoke: CRM for" in done.content.decode()
    assert "No access reviews are waiting for you." in done.content.decode()
    # Someone else's review is refused.
    client.force_login(UserFactory())
    other = client.post(reverse("access:review-decide", args=[item.pk]), {"decision": "keep"})
    assert other.status_code == 403


def test_the_desk_reports_and_exports_who_has_what(client, riley):
    manager = admin()
    services.grant_create(
        actor=manager,
        holder=riley,
        entitlement=entitlement("CRM", risk="privileged"),
        source="rule",
    )
    client.force_login(agent())
    page = client.get(reverse("access:grants"), {"risk": "privileged"}).content.decode()
    assert "CRM" in page and "Privileged" in page and "Rule" in page
    csv = client.get(reverse("access:grants"), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("Holder,Department,Application,Entitlement")
    assert "CRM" in lines[1] and "Privileged" in lines[1]
    # A requester sees only their own.
    client.force_login(UserFactory())
    assert "CRM" not in client.get(reverse("access:grants")).content.decode()
    home = client.get(reverse("access:home"))
    assert home.status_code == 403


def test_an_access_manager_processes_a_leaver_and_the_owner_team_marks_removal_done(client, riley):
    manager = admin()
    ent = entitlement("Shared drive")
    services.grant_create(actor=manager, holder=riley, entitlement=ent, source="rule")
    client.force_login(manager)
    done = client.post(
        reverse("access:person-leave", args=[riley.username]), {"reason": "Last day"}, follow=True
    )
    assert "has left: 1 grants are being removed" in done.content.decode()
    step = ProvisioningStep.objects.get(action="remove")
    member = agent()
    ent.owner_team.members.add(member)
    client.force_login(member)
    todo = client.get(reverse("access:provisioning")).content.decode()
    assert "Remove from the group" in todo and "Shared drive" in todo
    client.post(reverse("access:step-action", args=[step.pk, "done"]))
    assert Grant.objects.get().provisioning == "deprovisioned"


def test_access_is_in_the_service_catalog_like_any_item(client, riley):
    package("Payroll reports", entitlement("Payroll viewer"), description="Read payslips.")
    package("HR admin", entitlement("HR admin"), audience_departments=["HR"])
    client.force_login(riley)
    page = client.get(reverse("service_requests:catalog")).content.decode()
    assert "Access to applications" in page and "Payroll reports" in page
    assert "HR admin" not in page  # not for Finance
    assert reverse("access:portal-order", args=["payroll-reports"]) in page
    searched = client.get(reverse("service_requests:catalog"), {"q": "payslips"}).content.decode()
    assert "Payroll reports" in searched
    other = client.get(reverse("service_requests:catalog"), {"q": "laptop"}).content.decode()
    assert "Payroll reports" not in other


def test_conflicting_duties_read_in_words(client, riley):
    approve = entitlement("Approve payments")
    create = entitlement("Create vendors")
    manager = admin()
    for ent in (approve, create):
        services.grant_create(actor=manager, holder=riley, entitlement=ent, source="migration")
    sod_rule("Vendor fraud", [approve], [create])
    client.force_login(manager)
    client.post(reverse("access:violations-scan"))
    page = client.get(reverse("access:violations")).content.decode()
    assert "Vendor fraud" in page and "by the nightly scan" in page
    assert "(scan)" not in page


def test_who_had_what_on_a_past_day_includes_access_since_taken_away(client, riley):
    from datetime import timedelta

    from opsdesk.access.models import Grant

    manager = admin()
    grant = services.grant_create(
        actor=manager, holder=riley, entitlement=entitlement("Old CRM"), source="rule"
    )
    week_ago = timezone.now() - timedelta(days=7)
    Grant.objects.filter(pk=grant.pk).update(valid_from=week_ago, started_at=week_ago)
    services.grant_revoke(actor=manager, grant=grant, reason="Retired")
    client.force_login(agent())
    today = client.get(reverse("access:grants")).content.decode()
    assert "Old CRM" not in today  # active grants only, by default
    past = client.get(
        reverse("access:grants"), {"on": (week_ago + timedelta(days=1)).date().isoformat()}
    ).content.decode()
    assert "Old CRM" in past and "Ended" in past
    before = client.get(
        reverse("access:grants"), {"on": (week_ago - timedelta(days=2)).date().isoformat()}
    ).content.decode()
    assert "Old CRM" not in before
    bad = client.get(reverse("access:grants"), {"on": "yesterday"}, follow=True).content.decode()
    assert "Give the date as YYYY-MM-DD." in bad
