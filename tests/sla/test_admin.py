"""Service levels and on-call are configured in the admin, and every admin edit is audited."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse

from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.views import browser_for
from opsdesk.sla.models import BusinessCalendar, SlaTimer
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return browser_for(UserFactory(is_staff=True, is_superuser=True))


@pytest.mark.parametrize(
    "model",
    [
        "sla.businesscalendar",
        "sla.slapolicy",
        "sla.slatimer",
        "oncall.schedule",
        "oncall.layer",
        "oncall.override",
        "oncall.escalationpolicy",
    ],
)
def test_configuration_pages_open(staff, model):
    app_label, name = model.split(".")
    assert staff.get(reverse(f"admin:{app_label}_{name}_changelist")).status_code == 200
    assert staff.get(reverse(f"admin:{app_label}_{name}_add")).status_code in (200, 403)


def test_calendar_edit_in_the_admin_is_audited_and_versioned(staff):
    calendar = CalendarFactory(name="Office")
    page = staff.get(reverse("admin:sla_businesscalendar_change", args=[calendar.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        name="Office hours",
        working_hours='{"mon": [["09:00", "17:00"]]}',
        holidays="[]",
        time_zone="Europe/London",
    )
    staff.post(reverse("admin:sla_businesscalendar_change", args=[calendar.pk]), data)
    calendar.refresh_from_db()
    assert calendar.name == "Office hours" and calendar.version == 2
    assert AuditEntry.objects.filter(
        action="businesscalendar.updated", object_id=str(calendar.pk)
    ).exists()


def test_timers_cannot_be_edited_by_hand(staff):
    assert not admin.site._registry[SlaTimer].has_change_permission(None)
    PolicyFactory(response_target=timedelta(hours=1))
    assert BusinessCalendar.objects.exists()
