"""Grants start and end to the minute on the worker; leavers lose everything in one batch;
joiners get their birthrights; movers' managers confirm what still fits."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

from opsdesk.access import services
from opsdesk.access.models import (
    BirthrightRule,
    Grant,
    GrantState,
    LifecycleEvent,
    ProvisioningStep,
    ReviewCampaign,
    StepState,
)
from opsdesk.core.models import ApiToken, AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.services import token_create
from opsdesk.core.testing.factories import UserFactory, admin
from tests.access.factories import entitlement

pytestmark = pytest.mark.django_db


def run_periodic_tasks_at(moment):
    """What the worker's scheduler does each minute, at an injected time: enqueue every
    periodic task whose schedule matches (tasks run at once in tests)."""
    autodiscover_modules("tasks")  # as the worker does when it starts
    for task in HUEY.read_periodic(moment):
        HUEY.enqueue(task)


@pytest.fixture
def person(db):
    return UserFactory(username="sam", roles=[Role.REQUESTER], department="Finance")


def test_a_grant_starts_and_ends_by_itself_on_the_worker(person, monkeypatch):
    ent = entitlement("Reporting viewer")
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
    grant = services.grant_create(
        actor=admin(),
        holder=person,
        entitlement=ent,
        source="rule",
        valid_from=start,
        valid_to=start + timedelta(hours=2),
    )
    assert grant.state == GrantState.SCHEDULED
    # The clock the worker's services read, moved to each moment the scheduler wakes.
    for moment, expected in [
        (start - timedelta(minutes=1), GrantState.SCHEDULED),
        (start, GrantState.ACTIVE),
        (start + timedelta(hours=2) - timedelta(minutes=1), GrantState.ACTIVE),
        (start + timedelta(hours=2), GrantState.ENDED),
    ]:
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        run_periodic_tasks_at(moment)
        grant.refresh_from_db()
        assert grant.state == expected, moment
    assert grant.end_reason == "expired"
    started = AuditEntry.objects.get(action="access.started", object_id=str(grant.pk))
    assert started.actor is None and started.source == "worker"


def test_a_leaver_loses_everything_in_one_batch(person):
    manager = admin()
    grants = [
        services.grant_create(
            actor=manager, holder=person, entitlement=entitlement(n), source="rule"
        )
        for n in ("Wiki editor", "Payroll viewer", "VPN")
    ]
    token_create(actor=person, user=person, name="script")
    session = SessionStore()
    session[SESSION_KEY] = str(person.pk)
    session.create()
    event = services.person_leave_now(actor=manager, person=person, why="Resigned")
    person.refresh_from_db()
    assert event.processed_at is not None and event.batch
    assert not person.is_active
    assert {g.state for g in Grant.objects.filter(pk__in=[g.pk for g in grants])} == {
        GrantState.ENDED
    }
    removals = ProvisioningStep.objects.filter(batch=event.batch)
    assert removals.count() == 3 and {s.state for s in removals} == {StepState.MANUAL}
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()
    assert not SessionStore().exists(session.session_key)
    assert (
        AuditEntry.objects.filter(
            action="access.leaver_processed", object_id=str(person.pk)
        ).count()
        == 1
    )


def test_a_leaving_date_takes_effect_after_the_last_day(person, monkeypatch):
    grant = services.grant_create(
        actor=admin(), holder=person, entitlement=entitlement("VPN"), source="rule"
    )
    before = {"is_active": True, "department": person.department, "leaves_on": None}
    person.leaves_on = timezone.localdate() + timedelta(days=3)
    person.save()
    services.person_changed(actor=None, person=person, before=before, source="HR import")
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    later = timezone.now() + timedelta(days=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    run_periodic_tasks_at(later)
    grant.refresh_from_db()
    assert grant.state == GrantState.ENDED and grant.end_reason == "leaver"


def test_a_joiner_gets_birthrights_and_a_mover_a_review(person):
    wiki = entitlement("Wiki reader")
    ledger = entitlement("Ledger")
    rule = BirthrightRule.objects.create(name="Everyone", department="")
    rule.entitlements.set([wiki])
    finance = BirthrightRule.objects.create(name="Finance", department="Finance")
    finance.entitlements.set([ledger])
    boss = UserFactory(username="boss")
    joiner = UserFactory(username="new", department="Finance", manager=boss)
    services.person_changed(actor=None, person=joiner, before=None, source="SCIM")
    held = set(
        Grant.objects.filter(holder=joiner, state="active").values_list(
            "entitlement__name", flat=True
        )
    )
    assert held == {"Wiki reader", "Ledger"}
    assert LifecycleEvent.objects.get(person=joiner).kind == "joiner"
    services.grant_create(
        actor=admin(), holder=joiner, entitlement=entitlement("Budget tool"), source="rule"
    )
    joiner.department = "Sales"
    joiner.save()
    services.person_changed(
        actor=None,
        person=joiner,
        before={"is_active": True, "department": "Finance"},
        source="SCIM",
    )
    held = set(
        Grant.objects.filter(holder=joiner, state="active").values_list(
            "entitlement__name", flat=True
        )
    )
    assert held == {"Wiki reader", "Budget tool"}  # the Finance birthright ended
    review = ReviewCampaign.objects.get()
    assert list(review.items.values_list("grant__entitlement__name", "reviewer__username")) == [
        ("Budget tool", "boss")
    ]


def test_editing_the_person_record_triggers_the_leaver_through_the_outbox(person):
    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.core.services import user_update

    grant = services.grant_create(
        actor=admin(), holder=person, entitlement=entitlement("VPN"), source="rule"
    )
    user_update(actor=admin(), user=person, is_active=False)
    outbox_deliver_due()
    grant.refresh_from_db()
    assert grant.state == GrantState.ENDED and grant.end_reason == "leaver"
    event = LifecycleEvent.objects.get(person=person)
    assert event.kind == "leaver" and event.source == "user record" and event.processed_at


def test_a_mail_sender_is_no_joiner(db):
    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.core.services import user_create

    rule = BirthrightRule.objects.create(name="Everyone", department="")
    rule.entitlements.set([entitlement("Wiki reader")])
    outsider = user_create(actor=None, username="someone@example.net", source="mail")
    staff = user_create(actor=None, username="new-hire", department="Sales")
    outbox_deliver_due()
    assert not Grant.objects.filter(holder=outsider).exists()
    assert Grant.objects.filter(holder=staff, source="birthright").count() == 1


def test_opsdesk_roles_are_entitlements_reviewed_and_revoked_like_any(person):
    from opsdesk.core.roles import is_agent

    manager = admin()
    desk = UserFactory(username="dana", roles=[Role.AGENT])
    made = services.opsdesk_roles_as_entitlements(actor=manager)
    agent_role = next(e for e in made if e.opsdesk_role == "agent")
    grant = Grant.objects.get(holder=desk, entitlement=agent_role)
    assert grant.source == "migration" and grant.provisioning == "provisioned"
    services.grant_revoke(actor=manager, grant=grant, reason="Moved to finance")
    desk.refresh_from_db()
    assert not is_agent(desk)
    services.grant_create(actor=manager, holder=person, entitlement=agent_role, source="rule")
    person.refresh_from_db()
    assert is_agent(person)
    assert services.opsdesk_roles_as_entitlements(actor=manager) == made  # nothing twice
