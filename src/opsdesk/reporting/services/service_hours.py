"""Setting the hours a service's availability is agreed in (an administrator's choice)."""

from __future__ import annotations

from django.db import transaction

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.records import record_create, record_delete, record_update
from opsdesk.core.roles import is_admin
from opsdesk.reporting.models import ServiceHours
from opsdesk.sla.models import BusinessCalendar


def service_hours_set(
    *, actor, service: ConfigurationItem, calendar: BusinessCalendar | None
) -> ServiceHours | None:
    """Agree ``service``'s availability in ``calendar``'s hours; ``None`` puts it back on the
    default (24x7 in the organisation's time zone). Audited; administrators only."""
    if not is_admin(actor):
        raise NotPermitted("Only administrators set service hours.")
    if not service.is_service:
        raise ValidationFailed(
            f"{service} is not a service.",
            fields={"service": ["Choose a business or technical service."]},
        )
    with transaction.atomic():
        current = ServiceHours.objects.select_for_update().filter(service=service).first()
        if calendar is None:
            if current is not None:
                record_delete(current, actor=actor, locked=True)
            return None
        if current is None:
            return record_create(
                ServiceHours,
                values={"service": service, "calendar": calendar},
                actor=actor,
            )
        return record_update(current, values={"calendar": calendar}, actor=actor, locked=True)
