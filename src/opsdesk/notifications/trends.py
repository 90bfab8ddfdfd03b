"""Problem managers hear of a new trend-detection candidate: mail and a line in their list."""

from email.utils import make_msgid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.models import OutboxEvent, User
from opsdesk.core.roles import Role
from opsdesk.notifications.models import (
    Channel,
    Delivery,
    Event,
    InAppNotification,
    NotificationTemplate,
)
from opsdesk.notifications.rendering import render_mail
from opsdesk.notifications.services import message_id_domain, opted_out
from opsdesk.notifications.wakeup import wake_after_commit
from opsdesk.problems.models import CandidateState, ProblemCandidate


def notify_trend_found(*, event: OutboxEvent) -> int:
    """Every active problem manager gets the candidate's evidence and where to decide on it,
    unless they switched it off; returns how many messages were queued."""
    template = NotificationTemplate.objects.filter(event=Event.TREND_FOUND).first()
    candidate = ProblemCandidate.objects.filter(
        pk=event.payload.get("candidate_id"), state=CandidateState.OPEN
    ).first()
    if template is None or candidate is None:
        return 0  # no template, or decided (or superseded) before the worker got to it
    managers = list(
        User.objects.filter(groups__name=str(Role.PROBLEM_MANAGER), is_active=True).distinct()
    )
    ids = [m.pk for m in managers]
    muted = {channel: opted_out(ids, Event.TREND_FOUND, channel) for channel in Channel}
    url = f"{settings.BASE_URL}{reverse('problems:trends')}"
    record = {
        "content_type": ContentType.objects.get_for_model(ProblemCandidate),
        "object_id": str(candidate.pk),
        "url": url,
    }
    queued = 0
    for manager in managers:
        mail = render_mail(
            template,
            {
                "event": Event.TREND_FOUND.label,
                "recipient": str(manager),
                "short_description": candidate.title,
                "count": candidate.incident_count,
                "first_seen": f"{timezone.localtime(candidate.first_seen):%d %b %Y}",
                "last_seen": f"{timezone.localtime(candidate.last_seen):%d %b %Y}",
                "terms": ", ".join(candidate.top_terms),
                "url": url,
            },
        )
        if manager.email and manager.pk not in muted[Channel.EMAIL]:
            _, created = Delivery.objects.get_or_create(
                source_event_id=event.pk,
                address=manager.email,
                defaults={
                    **record,
                    "event": Event.TREND_FOUND,
                    "recipient": manager,
                    "subject": mail.subject[:255],
                    "body_text": mail.body_text,
                    "body_html": mail.body_html,
                    "message_id": make_msgid(domain=message_id_domain()),
                    "next_attempt_at": timezone.now(),
                },
            )
            queued += int(created)
        if manager.pk not in muted[Channel.IN_APP]:
            _, created = InAppNotification.objects.get_or_create(
                source_event_id=event.pk,
                user=manager,
                defaults={
                    **record,
                    "event": Event.TREND_FOUND,
                    "title": mail.subject[:255],
                    "body": mail.body_text[:2000],
                },
            )
            queued += int(created)
    if queued:
        wake_after_commit()
    return queued
