"""The Django admin for configuration data: audited edits, read-only history, outbox retry."""

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.models import AuditEntry, NumberSequence, OutboxEvent, User
from opsdesk.core.models.outbox import OutboxStatus
from opsdesk.core.services import team_create, token_create
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.testing.views import browser_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return browser_for(UserFactory(is_staff=True, is_superuser=True))


def test_admin_index_lists_the_core_models(staff):
    html = staff.get(reverse("admin:index")).content.decode()
    for name in ["Users", "Teams", "Api tokens", "Audit entries", "Outbox events"]:
        assert name in html, name


def test_people_without_staff_flag_are_kept_out():
    client = browser_for(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_audit_entries_are_read_only(staff):
    with_entry = team_create(actor=None, name="Audited")
    entry = AuditEntry.objects.filter(object_id=str(with_entry.pk)).first()
    assert staff.get(reverse("admin:core_auditentry_changelist")).status_code == 200
    change = staff.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert staff.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert staff.post(reverse("admin:core_auditentry_delete", args=[entry.pk])).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_number_sequences_are_read_only(staff):
    NumberSequence.objects.create(prefix="INC", last_value=1001)
    assert staff.get(reverse("admin:core_numbersequence_changelist")).status_code == 200
    assert staff.get(reverse("admin:core_numbersequence_add")).status_code == 403
    change = staff.get(reverse("admin:core_numbersequence_change", args=["INC"]))
    assert 'name="_save"' not in change.content.decode()


def test_token_page_never_shows_the_hash(staff):
    owner = UserFactory()
    token, _ = token_create(actor=owner, user=owner, name="ci")
    html = staff.get(reverse("admin:core_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_hash not in html and "ci" in html
    assert staff.get(reverse("admin:core_apitoken_add")).status_code == 403


def test_retry_now_puts_a_dead_event_back_in_the_queue(staff):
    event = OutboxEvent.objects.create(
        topic="incident.resolved",
        status=OutboxStatus.DEAD,
        attempts=8,
        next_attempt_at=timezone.now(),
        last_error="smtp down",
    )
    response = staff.post(
        reverse("admin:core_outboxevent_changelist"),
        {"action": "retry_now", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "1 event(s) queued for delivery now." in response.content.decode()
    event.refresh_from_db()
    # The worker (immediate in tests) may already have delivered it; either way it left "dead".
    assert event.status in (OutboxStatus.PENDING, OutboxStatus.DELIVERED)
    assert event.attempts <= 1


def test_outbox_events_cannot_be_edited(staff):
    event = OutboxEvent.objects.create(topic="x", next_attempt_at=timezone.now())
    change = staff.get(reverse("admin:core_outboxevent_change", args=[event.pk]))
    assert 'name="_save"' not in change.content.decode()
    assert staff.get(reverse("admin:core_outboxevent_add")).status_code == 403


def test_team_edit_in_the_admin_is_audited_and_versioned(staff):
    team = TeamFactory(name="Apps")
    member = UserFactory()
    response = staff.post(
        reverse("admin:core_team_change", args=[team.pk]),
        {
            "name": "Applications",
            "type": "application",
            "email": "",
            "description": "",
            "Team_members-TOTAL_FORMS": "1",
            "Team_members-INITIAL_FORMS": "0",
            "Team_members-0-user": member.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team.refresh_from_db()
    assert team.name == "Applications" and team.version == 2
    assert list(team.members.all()) == [member]
    actions = set(
        AuditEntry.objects.filter(object_id=str(team.pk), object_type="core.team").values_list(
            "action", flat=True
        )
    )
    assert {"team.updated", "team.related_changed"} <= actions


def test_user_added_in_the_admin_is_audited(staff):
    response = staff.post(
        reverse("admin:core_user_add"),
        {
            "username": "svc-monitoring",
            "password1": "x" * 24,
            "password2": "x" * 24,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="svc-monitoring")
    assert AuditEntry.objects.filter(action="user.created", object_id=str(user.pk)).exists()
    assert user.check_password("x" * 24)
