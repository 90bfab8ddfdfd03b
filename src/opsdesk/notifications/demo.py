"""Demo data: the default rules and wording, an example webhook, and bells that ring."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from opsdesk.incidents.models import OPEN_STATES, Incident
from opsdesk.notifications.defaults import seed
from opsdesk.notifications.models import Event, InAppNotification, WebhookSubscription
from opsdesk.notifications.recipients import record_url
from opsdesk.notifications.webhooks import webhook_subscription_create

PER_AGENT = 5


def load(*, progress) -> None:
    seed(apps)
    progress("notification rules and templates present")
    if not WebhookSubscription.objects.filter(name="ChatOps (example)").exists():
        webhook_subscription_create(
            actor=None,
            name="ChatOps (example)",
            url="https://chatops.example.com/hooks/opsdesk",
            topics="incident.major_declared incident.stakeholder_update sla.breached",
            active=False,
        )
    content_type = ContentType.objects.get_for_model(Incident)
    rows = []
    assigned = (
        Incident.objects.filter(state__in=OPEN_STATES, assignee__isnull=False)
        .select_related("assignee")
        .order_by("assignee_id", "-opened_at")
    )
    counts: dict[int, int] = {}
    have = set(
        InAppNotification.objects.filter(source_event_id__lt=0).values_list(
            "source_event_id", "user_id"
        )
    )
    for incident in assigned.iterator():
        user_id = incident.assignee_id
        if counts.get(user_id, 0) >= PER_AGENT:
            continue
        counts[user_id] = counts.get(user_id, 0) + 1
        # Negative ids mark demo rows: they never collide with a real outbox event.
        if (-incident.pk, user_id) in have:
            continue
        rows.append(
            InAppNotification(
                user_id=user_id,
                source_event_id=-incident.pk,
                event=Event.ASSIGNED,
                title=f"[{incident.number}] Assigned: {incident.short_description}",
                body=f"{incident.number} is assigned to you.",
                content_type=content_type,
                object_id=str(incident.pk),
                record_number=incident.number,
                url=record_url(incident),
            )
        )
    InAppNotification.objects.bulk_create(rows, batch_size=500)
    progress(f"{len(rows)} in-app notifications for agents")
