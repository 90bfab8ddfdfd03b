"""Access management's mail: access that ends soon, reviews that wait, steps to do by hand and
conflicting duties reach the people they concern, through the outbox, the worker and the
development mail sink, as the recipients would read them."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opsdesk.access import services as access
from opsdesk.access.models import ProvisioningStep, ReviewItem
from opsdesk.access.services import reviews
from opsdesk.approvals.models import ApprovalRequest
from opsdesk.approvals.services import approval_decide
from opsdesk.core.models import OutboxEvent
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, admin
from opsdesk.notifications.handlers import access_mail
from opsdesk.notifications.models import Delivery, InAppNotification, SentMail
from opsdesk.notifications.services import preference_set
from opsdesk.notifications.sink import parse
from tests.access.factories import entitlement, manager_then_owners, package, sod_rule

pytestmark = pytest.mark.django_db

SINK = "opsdesk.notifications.sink.SinkBackend"


@pytest.fixture(autouse=True)
def sink(settings):
    settings.EMAIL_BACKEND = SINK


@pytest.fixture
def mails(deliver, later):
    """Run the worker past every digest window; then each address's mails as (subject, text)."""

    def read():
        deliver(later())
        found: dict[str, list[tuple[str, str]]] = {}
        for sent in SentMail.objects.order_by("id"):
            found.setdefault(sent.to, []).append((sent.subject, parse(sent)["text"]))
        return found

    return read


def url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


@pytest.fixture
def manager(db):
    return admin(username="access-manager")


@pytest.fixture
def owner(db):
    return UserFactory(username="olga", display_name="Olga Owner", roles=[Role.REQUESTER])


@pytest.fixture
def alex(db):
    return UserFactory(
        username="alex", display_name="Alex Holder", time_zone="Europe/Berlin", manager=None
    )


def _quiet_team(name: str):
    """An owner team nobody is in: its steps by hand draw no mail into the other tests."""
    return TeamFactory(name=name)


# --- access that ends soon --------------------------------------------------------------------
def _order(alex, owner, *, extension_allowed: bool, days: int = 5):
    crm = entitlement("CRM", owner=owner, owner_team=_quiet_team("CRM owners"))
    sales = package("CRM sales", crm, extension_allowed=extension_allowed)
    ends = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    access.access_request_submit(
        actor=alex, package=sales, justification="Quarter close", valid_to=ends
    )
    return ends


def _local(moment, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {local:%b %Y %H:%M} ({zone})"


def test_the_holder_may_ask_for_more_time_and_the_owner_is_told(alex, owner, mails):
    ends = _order(alex, owner, extension_allowed=True)
    assert access.grants_sweep()["warned"] == 1
    got = mails()

    ((subject, text),) = got[alex.email]
    assert subject == "Your access ends soon: CRM app: CRM"
    # In the holder's own time zone, with the package's order page to ask for an extension.
    assert f"ends on {_local(ends, 'Europe/Berlin')}" in text
    assert f"Ask for an extension: {url('/portal/access/crm-sales/')}" in text

    ((subject, text),) = got[owner.email]
    assert subject == "Access ends soon: CRM app: CRM for Alex Holder"
    assert f"ends on {_local(ends, owner.time_zone)}" in text
    # An owner who is no agent follows their own access in the portal, not the desk's list.
    assert url("/portal/access/mine/") in text and "/portal/access/crm-sales/" not in text

    # The next sweep warns nobody again.
    assert access.grants_sweep()["warned"] == 0
    assert SentMail.objects.count() == 2


# (package allows extensions, granted through a package) -> where the holder's mail links
LINKS = [
    (True, True, "/portal/access/crm-sales/"),
    (False, True, "/portal/access/mine/"),
    (True, False, "/portal/access/mine/"),
]


@pytest.mark.parametrize("extension_allowed, through_package, link", LINKS)
def test_the_holder_is_sent_where_they_can_act(
    alex, owner, manager, mails, extension_allowed, through_package, link
):
    if through_package:
        _order(alex, owner, extension_allowed=extension_allowed)
    else:
        crm = entitlement("CRM", owner=owner, owner_team=_quiet_team("CRM owners"))
        access.grant_create(
            actor=manager,
            holder=alex,
            entitlement=crm,
            source="rule",
            valid_to=timezone.now() + timedelta(days=2),
        )
    access.grants_sweep()
    ((_, text),) = mails()[alex.email]
    assert url(link) in text
    assert ("Ask for an extension" in text) == (link != "/portal/access/mine/")


def test_an_owner_who_works_the_desk_gets_the_list_of_access_that_ends(alex, mails):
    agent_owner = UserFactory(username="oscar", roles=[Role.AGENT])
    _order(alex, agent_owner, extension_allowed=True)
    access.grants_sweep()
    ((_, text),) = mails()[agent_owner.email]
    assert url("/access/grants/?expiring=month&q=alex") in text
    # Agents also see it in their notification list; the holder, no agent, does not.
    (line,) = InAppNotification.objects.filter(user=agent_owner)
    assert line.title == "Access ends soon: CRM app: CRM for Alex Holder"
    assert not InAppNotification.objects.filter(user=alex).exists()


def test_someone_who_opted_out_of_the_mail_gets_none_and_the_owner_still_does(alex, owner, mails):
    preference_set(actor=alex, user=alex, event="access_expiring", channel="email", enabled=False)
    _order(alex, owner, extension_allowed=True)
    access.grants_sweep()
    got = mails()
    assert alex.email not in got
    assert [s for s, _ in got[owner.email]] == ["Access ends soon: CRM app: CRM for Alex Holder"]


def test_an_inactive_owner_hears_nothing(alex, owner, mails):
    _order(alex, owner, extension_allowed=True)
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    access.grants_sweep()
    assert list(mails()) == [alex.email]


def test_a_fact_handled_twice_queues_nothing_twice(alex, owner, mails):
    _order(alex, owner, extension_allowed=True)
    access.grants_sweep()
    mails()
    (fact,) = OutboxEvent.objects.filter(topic="access.grant_expiring")
    before = Delivery.objects.count()
    with transaction.atomic():
        access_mail(event_id=fact.pk, topic=fact.topic, payload=fact.payload)
    assert Delivery.objects.count() == before
    assert {to: len(m) for to, m in mails().items()} == {alex.email: 1, owner.email: 1}


# --- reviews ----------------------------------------------------------------------------------
@pytest.fixture
def review(manager):
    """A campaign of three privileged grants: the boss reviews two reports, the campaign owner
    the boss's own grant."""
    boss = UserFactory(username="boss", display_name="Bea Boss", roles=[Role.APPROVER])
    people = [UserFactory(username=n, manager=boss) for n in ("jo", "kim")]
    crm = entitlement("CRM admin", risk="privileged", owner_team=_quiet_team("CRM admins"))
    for who in (*people, boss):
        access.grant_create(actor=manager, holder=who, entitlement=crm, source="rule")
    campaign = reviews.campaign_create(
        actor=manager,
        name="Privileged access Q4",
        deadline=timezone.now() + timedelta(days=7),
        scope_privileged=True,
        reminder_days=3,
    )
    reviews.campaign_start(actor=manager, campaign=campaign)
    return boss, campaign


def test_each_reviewer_is_told_how_many_reviews_wait(review, manager, mails):
    boss, campaign = review
    got = mails()
    ((subject, text),) = got[boss.email]
    assert subject == "Access reviews wait for you: 2 in Privileged access Q4"
    assert "please review 2 access grants" in text
    assert f"Your reviews: {url('/portal/access/reviews/')}" in text
    assert f"by {_local(campaign.deadline, boss.time_zone)}" in text
    (subject, _), *_ = got[manager.email]
    assert subject == "Access reviews wait for you: 1 in Privileged access Q4"


def test_the_reminder_counts_only_what_is_still_undecided(review, manager, mails):
    boss, campaign = review
    mails()
    first = ReviewItem.objects.filter(reviewer=boss).order_by("id").first()
    reviews.review_decide(actor=boss, item=first, decision="keep")
    manager_item = ReviewItem.objects.get(reviewer=manager)
    reviews.review_decide(actor=manager, item=manager_item, decision="keep")
    assert reviews.campaigns_sweep(now=campaign.deadline - timedelta(days=2))["reminded"] == 1
    got = mails()
    subject, text = got[boss.email][-1]
    assert subject == "Reminder, access reviews wait for you: 1 in Privileged access Q4"
    assert "1 access grant in Privileged access Q4 still waits for your decision" in text
    assert url("/portal/access/reviews/") in text
    # The owner decided everything: no reminder for them.
    assert not [s for s, _ in got[manager.email] if s.startswith("Reminder")]


def test_a_reminder_while_the_first_mail_still_waits_leaves_with_it(review, mails):
    boss, campaign = review
    # A campaign started inside its reminder window reminds at once: one mail, not two.
    reviews.campaigns_sweep(now=campaign.deadline - timedelta(days=2))
    ((subject, text),) = mails()[boss.email]
    assert subject == "Access reviews wait for you: 2 in Privileged access Q4 (and 1 more)"
    assert "Reminder, access reviews wait for you: 2 in Privileged access Q4" in text


def test_a_reviewer_who_decided_before_the_mail_left_is_not_asked(review, mails):
    boss, _ = review
    for item in ReviewItem.objects.filter(reviewer=boss):
        reviews.review_decide(actor=boss, item=item, decision="keep")
    assert boss.email not in mails()


def test_a_reviewer_may_switch_off_the_reminders_only(review, mails):
    boss, campaign = review
    preference_set(
        actor=boss, user=boss, event="access_review_reminder", channel="email", enabled=False
    )
    reviews.campaigns_sweep(now=campaign.deadline - timedelta(days=2))
    assert [s for s, _ in mails()[boss.email]] == [
        "Access reviews wait for you: 2 in Privileged access Q4"
    ]


# --- steps done by hand -----------------------------------------------------------------------
def test_the_owner_team_hears_of_a_step_to_do_by_hand(manager, alex, mails):
    team = TeamFactory(name="Finance applications")
    nina = UserFactory(username="nina", roles=[Role.AGENT])
    pat = UserFactory(username="pat", roles=[Role.REQUESTER])
    gone = UserFactory(username="gone", roles=[Role.AGENT], is_active=False)
    team.members.add(nina, pat, gone)
    ledger = entitlement("Ledger", owner_team=team)
    access.grant_create(actor=manager, holder=alex, entitlement=ledger, source="rule")
    got = mails()
    assert sorted(got) == sorted([nina.email, pat.email])
    ((subject, text),) = got[pat.email]
    assert subject == "Access to provision by hand for Finance applications"
    assert f"Provisioning: {url('/access/provisioning/')}" in text
    # The agent sees it in the app too; nothing for the one who left.
    assert InAppNotification.objects.get(user=nina).url == url("/access/provisioning/")
    assert not InAppNotification.objects.filter(user__in=[pat, gone]).exists()


def test_an_agent_may_keep_the_mail_and_drop_the_line_in_the_app(manager, alex, mails):
    team = TeamFactory(name="Finance applications")
    nina = UserFactory(username="nina", roles=[Role.AGENT])
    team.members.add(nina)
    preference_set(
        actor=nina, user=nina, event="access_manual_step", channel="in_app", enabled=False
    )
    access.grant_create(
        actor=manager,
        holder=alex,
        entitlement=entitlement("Ledger", owner_team=team),
        source="rule",
    )
    assert len(mails()[nina.email]) == 1
    assert not InAppNotification.objects.filter(user=nina).exists()


def test_a_step_without_an_owner_team_goes_to_the_access_managers(manager, alex, mails):
    ledger = entitlement("Ledger", owner_team=None)
    access.grant_create(actor=manager, holder=alex, entitlement=ledger, source="rule")
    got = mails()
    assert list(got) == [manager.email]
    assert got[manager.email][0][0] == "Access to provision by hand"


# --- conflicting duties -----------------------------------------------------------------------
def test_the_access_managers_hear_of_conflicting_duties(manager, alex, mails):
    catalog = UserFactory(username="cat", roles=[Role.CATALOG_MANAGER])
    retired = admin(username="retired", is_active=False)
    agent = UserFactory(username="nina", roles=[Role.AGENT])
    quiet = _quiet_team("Finance owners")
    pay = entitlement("Create payments", owner_team=quiet)
    approve = entitlement("Approve payments", owner_team=quiet)
    sod_rule("Pay and approve", [pay], [approve], action="record")
    access.grant_create(actor=manager, holder=alex, entitlement=pay, source="rule")
    access.grant_create(actor=manager, holder=alex, entitlement=approve, source="rule")
    got = mails()
    assert sorted(got) == sorted([manager.email, catalog.email])
    for address in got:
        ((subject, text),) = got[address]
        assert subject == "Conflicting duties found: Alex Holder (Pay and approve)"
        assert f"Conflicting duties: {url('/access/violations/')}" in text
    assert retired.email not in got and agent.email not in got
    # Found again by a scan, the same open violation tells nobody twice.
    access.sod_scan()
    assert sum(len(m) for m in mails().values()) == 2


# --- access requests (ACC), told as tickets -------------------------------------------------
def test_a_rejected_request_tells_the_requester_once_and_why(mails):
    boss = UserFactory(username="boss", roles=[Role.APPROVER])
    riley = UserFactory(username="riley", roles=[Role.REQUESTER], manager=boss)
    payroll = entitlement("Payroll", owner_team=_quiet_team("Payroll owners"))
    pkg = package("Payroll admin", payroll, scheme=manager_then_owners())
    req = access.access_request_submit(actor=riley, package=pkg, justification="Year end")
    pending = ApprovalRequest.objects.get(approver=boss, state="pending")
    approval_decide(
        request=pending, actor=boss, decision="reject", comment="Not in your role", via="inbox"
    )
    got = mails()
    ((subject, text),) = got[riley.email]
    assert subject == f"[{req.number}] Your request was rejected: Payroll admin"
    assert "Not in your role" in text
    # The approval's rejection says it all: the request's own move to rejected adds no mail.
    assert not Delivery.objects.filter(address=riley.email, event="resolved").exists()


def test_a_granted_request_tells_the_requester_once_it_is_in_place(mails):
    riley = UserFactory(username="riley", roles=[Role.REQUESTER])
    team = TeamFactory(name="Payroll owners")
    nina = UserFactory(username="nina", roles=[Role.AGENT])
    team.members.add(nina)
    pkg = package("Payroll admin", entitlement("Payroll", owner_team=team))
    req = access.access_request_submit(actor=riley, package=pkg, justification="Year end")
    got = mails()
    assert riley.email not in got  # opening a request is silent
    assert [s for s, _ in got[nina.email]] == ["Access to provision by hand for Payroll owners"]
    step = ProvisioningStep.objects.get(grant__holder=riley)
    access.manual_step_done(actor=nina, step=step)
    ((subject, text),) = mails()[riley.email]
    assert subject == f"[{req.number}] Resolved: Payroll admin"
    assert url(f"/portal/access/requests/{req.number}/") in text
