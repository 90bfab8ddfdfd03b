"""Demo links between alerts and incidents: the alerts still firing on the CIs of the major
incident in progress (``opsdesk.incidents.demo``) belong to it, as monitoring would have
correlated them, so the worker opens no second incident for them."""

from django.utils import timezone

from opsdesk.events.models import ACTIVE_ALERT_STATUSES, Alert
from opsdesk.incidents.models import OPEN_STATES, Incident, IncidentAlert, IncidentAlertRole

# The CIs whose alerts are symptoms of the checkout outage.
MAJOR_CIS = ["payment-gateway-adapter", "store-checkout"]


def load(*, progress) -> None:
    major = (
        Incident.objects.filter(is_major=True, state__in=OPEN_STATES, ci__name__in=MAJOR_CIS)
        .order_by("opened_at")
        .first()
    )
    if major is None:
        return
    alerts = Alert.objects.filter(
        ci__name__in=MAJOR_CIS, status__in=ACTIVE_ALERT_STATUSES, incident_links__isnull=True
    ).order_by("id")
    now = timezone.now()
    links = [
        IncidentAlert(
            incident=major,
            alert=alert,
            role=IncidentAlertRole.CORRELATED,
            linked_at=now,
        )
        for alert in alerts
    ]
    IncidentAlert.objects.bulk_create(links)
    progress(f"{len(links)} alerts linked to the major incident {major.number}")
