"""Access management's metrics against figures worked out by hand: time to grant, time to
revoke a leaver's access (not yet revoked counted apart) and access review completion, with
the records driven through the access services and the clock set by hand."""

from datetime import date

import pytest

from opsdesk.access import services
from opsdesk.access.models import ProvisioningStep, ReviewItem
from opsdesk.access.services import reviews
from opsdesk.approvals.models import ApprovalRequest, ApprovalScheme, ApprovalStage
from opsdesk.approvals.services import approval_decide
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory, admin
from opsdesk.reporting.metrics import Filters, compute, metric
from opsdesk.reporting.metrics.records import leavers, review_items
from tests.access.factories import entitlement, package
from tests.reporting.record_metrics_support import Clock, at, facts_current

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, at(2, 9))


WEEK = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8))


@pytest.fixture
def manager(db):
    return admin(username="access-manager")


def step_done(manager, step):
    services.manual_step_done(actor=manager, step=step, note="Done in the console")


def provisioned(manager, grant):
    step_done(manager, ProvisioningStep.objects.get(grant=grant, action="add"))


def test_time_to_grant(clock, manager):
    boss = UserFactory(username="boss", roles=[Role.APPROVER])
    riley = UserFactory(username="riley", roles=[Role.REQUESTER], manager=boss)
    scheme = ApprovalScheme.objects.create(name="Manager")
    ApprovalStage.objects.create(scheme=scheme, position=1, name="Manager", from_manager=True)

    def ask(name, *, approved_by=None, **values):
        pkg = package(name, entitlement(name), scheme=scheme if approved_by else None)
        return services.access_request_submit(
            actor=riley, package=pkg, justification="Month end", **values
        )

    def decide(request, decision):
        pending = ApprovalRequest.objects.get(
            approver=boss, state="pending", run__approval__subject_id=request.pk
        )
        approval_decide(request=pending, actor=boss, decision=decision, comment="", via="inbox")

    def granted_by_hand(request):
        step_done(manager, ProvisioningStep.objects.get(grant__request=request, action="add"))

    clock.at(at(2, 9))
    vpn = ask("VPN")
    clock.at(at(2, 10))
    payroll = ask("Payroll", approved_by=boss)
    refused = ask("Finance share", approved_by=boss)
    ask("Wiki editor", approved_by=boss)  # never decided
    clock.at(at(2, 12))
    granted_by_hand(vpn)  # 2 Mar 09:00 -> 12:00 = 10,800 s
    clock.at(at(3, 9))
    lab = ask("Lab door", valid_from=at(5, 9))  # asked to start on 5 Mar
    clock.at(at(3, 10))
    decide(payroll, "approve")
    clock.at(at(3, 11))
    decide(refused, "reject")
    clock.at(at(3, 16))
    granted_by_hand(payroll)  # 2 Mar 10:00 -> 3 Mar 16:00 = 30 h = 108,000 s
    clock.at(at(5, 9))
    services.grants_sweep(now=at(5, 9))  # the lab grant starts
    clock.at(at(5, 11))
    granted_by_hand(lab)  # 3 Mar 09:00 -> 5 Mar 11:00 = 50 h = 180,000 s
    facts_current()

    result = compute("time_to_grant", WEEK)
    # 10,800, 108,000, 180,000: mean = 298,800 / 3 = 99,600; median 108,000;
    # p90: rank 0.9 × 2 = 1.8 -> 108,000 + 0.8 × 72,000 = 165,600.
    assert result.total == {
        "count": 3,
        "mean": pytest.approx(99_600),
        "median": pytest.approx(108_000),
        "p90": pytest.approx(165_600),
    }
    by_day = compute("time_to_grant", WEEK.with_(group_by="day"))
    assert [(r["group"], r["count"]) for r in by_day.rows] == [
        ("2026-03-02", 1),
        ("2026-03-03", 1),
        ("2026-03-05", 1),
    ]
    behind = metric("time_to_grant").records(WEEK)
    assert sorted(behind.values_list("number", flat=True)) == sorted(
        [vpn.number, payroll.number, lab.number]
    )
    # 24x7 (no SLA calendar for access): business time is the same here.
    business = compute("time_to_grant", WEEK.with_(business=True))
    assert business.total["mean"] == pytest.approx(99_600)


def _leaving(person, day):
    before = {"is_active": True, "department": person.department, "leaves_on": None}
    person.leaves_on = day
    person.save()
    services.person_changed(actor=None, person=person, before=before, source="HR import")


def test_time_to_revoke_a_leavers_access(clock, manager):
    """| leaver | access must end      | held | taken out                 | seconds      |
    |--------|----------------------|------|---------------------------|--------------|
    | Sam    | 4 Mar 00:00 (left 3) | 2    | 4 Mar 02:00 and 06:00     | 21,600       |
    | Kim    | 5 Mar 10:00 (now)    | 1    | 5 Mar 14:00               | 14,400       |
    | Ali    | 6 Mar 00:00 (left 5) | 1    | still in place            | not yet      |
    | Lee    | 5 Mar 00:00 (left 4) | 0    | —                         | not counted  |
    | Max    | 11 Mar (left 10)     | 1    | —                         | outside      |
    Sam's third grant was revoked before he left and was never taken out: not his leaving's.
    """
    sam, kim, ali, lee, max_ = (
        UserFactory(username=name, department="Sales")
        for name in ("sam", "kim", "ali", "lee", "max")
    )
    grants = {
        (who.username, name): services.grant_create(
            actor=manager,
            holder=who,
            entitlement=entitlement(f"{who.username} {name}"),
            source="rule",
        )
        for who, name in (
            (sam, "CRM"),
            (sam, "VPN"),
            (sam, "Lab"),
            (kim, "CRM"),
            (ali, "CRM"),
            (max_, "CRM"),
        )
    }
    for grant in grants.values():
        provisioned(manager, grant)
    clock.at(at(2, 12))
    services.grant_revoke(actor=manager, grant=grants["sam", "Lab"], reason="Project over")
    clock.at(at(2, 13))
    _leaving(sam, date(2026, 3, 3))
    _leaving(ali, date(2026, 3, 5))
    _leaving(lee, date(2026, 3, 4))
    _leaving(max_, date(2026, 3, 10))

    def removals(person):
        return ProvisioningStep.objects.filter(
            person=person, action="remove", state="manual", batch__startswith="leaver"
        ).order_by("pk")

    clock.at(at(4, 0, 30))
    services.lifecycle_process_due(now=at(4, 0, 30))
    first, second = removals(sam)
    clock.at(at(4, 2))
    step_done(manager, first)
    clock.at(at(4, 6))
    step_done(manager, second)
    clock.at(at(5, 10))
    services.person_leave_now(actor=manager, person=kim, why="Dismissed")
    clock.at(at(5, 14))
    step_done(manager, removals(kim).get())
    clock.at(at(6, 0, 10))
    services.lifecycle_process_due(now=at(6, 0, 10))
    clock.at(at(6, 12))

    result = compute("time_to_revoke", WEEK)
    # 14,400 and 21,600: mean = median = 18,000; p90: rank 0.9 -> 14,400 + 0.9 × 7,200 = 20,880.
    assert result.total == {
        "count": 2,
        "mean": pytest.approx(18_000),
        "median": pytest.approx(18_000),
        "p90": pytest.approx(20_880),
        "not_yet_revoked": 1,
    }
    # By the day they left: Sam on 3 Mar; Kim and Ali (not yet revoked) on 5 Mar.
    by_day = compute("time_to_revoke", WEEK.with_(group_by="day"))
    assert [(r["group"], r["count"], r["not_yet_revoked"]) for r in by_day.rows] == [
        ("2026-03-03", 1, 0),
        ("2026-03-05", 1, 1),
    ]
    listed = {row.person.username: (row.held, row.not_revoked) for row in leavers(WEEK)}
    assert listed == {"sam": (2, 0), "kim": (1, 0), "ali": (1, 1)}
    # Ali's removal is done on 9 Mar: counted once done (6 Mar 00:00 -> 9 Mar 00:00 = 3 days).
    clock.at(at(9, 0))
    step_done(manager, removals(ali).get())
    later = compute("time_to_revoke", WEEK)
    assert later.total["count"] == 3 and later.total["not_yet_revoked"] == 0
    assert later.total["mean"] == pytest.approx((14_400 + 21_600 + 259_200) / 3)


def test_review_completion_per_campaign(clock, manager):
    boss = UserFactory(username="boss")
    people = [UserFactory(username=f"report-{n}", manager=boss) for n in range(4)]
    crm, ledger, wiki = (entitlement(name) for name in ("CRM", "Ledger", "Wiki"))
    for person in people[:3]:
        services.grant_create(actor=manager, holder=person, entitlement=crm, source="rule")
    for person in people:
        services.grant_create(actor=manager, holder=person, entitlement=ledger, source="rule")
    services.grant_create(actor=manager, holder=people[0], entitlement=wiki, source="rule")

    def campaign(name, ent, deadline):
        made = reviews.campaign_create(
            actor=manager, name=name, deadline=deadline, scope_applications=[ent.application]
        )
        reviews.campaign_start(actor=manager, campaign=made)
        return made

    def decide(campaign_, person, decision, comment=""):
        item = ReviewItem.objects.get(campaign=campaign_, grant__holder=person)
        reviews.review_decide(actor=boss, item=item, decision=decision, comment=comment)

    crm_review = campaign("CRM Q1", crm, at(6, 17))
    ledger_review = campaign("Ledger Q1", ledger, at(5, 12))
    campaign("Wiki Q1", wiki, at(20, 17))  # due after the week
    clock.at(at(3, 9))
    decide(crm_review, people[0], "keep")
    decide(ledger_review, people[3], "keep")
    clock.at(at(4, 9))
    decide(crm_review, people[1], "revoke", "Moved to marketing")
    clock.at(at(6, 17))
    reviews.campaign_close(actor=manager, campaign=crm_review)  # the third kept by the rule

    result = compute("review_completion", WEEK)
    # CRM: 2 of 3 decided by the reviewer (1 by the no-answer rule); Ledger: 1 of 4.
    # Together 3 of 7.
    assert result.total == {
        "numerator": 3,
        "denominator": 7,
        "value": pytest.approx(3 / 7),
        "by_policy": 1,
    }
    per_campaign = compute("review_completion", WEEK.with_(group_by="campaign"))
    assert [
        (r["label"], r["numerator"], r["denominator"], pytest.approx(r["value"]), r["by_policy"])
        for r in per_campaign.rows
    ] == [("CRM Q1", 2, 3, 2 / 3, 1), ("Ledger Q1", 1, 4, 1 / 4, 0)]
    one = per_campaign.filters.narrow(str(ledger_review.pk))
    assert one.campaign == ledger_review.pk
    assert review_items(one).count() == 4
    assert compute("review_completion", one).total["numerator"] == 1
    # Nothing due in the week before: no rate, not 0 %.
    empty = compute("review_completion", WEEK.previous())
    assert empty.total == {"numerator": 0, "denominator": 0, "value": None, "by_policy": 0}
    # Campaigns are no fact dimension: the ticket metrics give their total alone.
    assert compute("mttr", WEEK.with_(group_by="campaign")).rows == []


def test_the_stage_and_campaign_filters_come_from_the_url_and_refuse_bad_values():
    from opsdesk.reporting.metrics import FilterError

    filters = Filters.from_query({"group_by": "stage", "stage": " Line manager ", "campaign": "7"})
    assert (filters.group_by, filters.stage, filters.campaign) == ("stage", "Line manager", 7)
    assert Filters.from_query(filters.to_query()) == filters
    with pytest.raises(FilterError) as refused:
        Filters.from_query({"campaign": "Q1 review"})
    assert list(refused.value.errors) == ["campaign"]
