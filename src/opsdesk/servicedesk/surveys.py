"""Satisfaction surveys: asked when a ticket reaches one of its record type's survey states,
answered once through a signed, expiring link."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import TransitionRefused, ValidationFailed
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.tickets.registry import ticket_type_of
from opsdesk.servicedesk.models import Survey

SALT = "opsdesk.servicedesk.survey"
LOW_RATING = 2


def survey_days() -> int:
    return int(getattr(settings, "OPSDESK_SURVEY_DAYS", 14))


def survey_token(survey: Survey) -> str:
    return signing.dumps({"survey": survey.pk}, salt=SALT)


def survey_url(survey: Survey) -> str:
    base = getattr(settings, "BASE_URL", "").rstrip("/")
    return base + reverse("servicedesk:survey", args=[survey_token(survey)])


def survey_id(value) -> int | None:
    """A survey id from a URL or a link, or None when it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        number = int(str(value).strip()) if str(value).strip().isdigit() else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < 2**63 else None


def survey_from_token(token: str) -> Survey:
    """The survey the link is for; refuses forged, altered or expired links."""
    bad_link = ValidationFailed("This survey link is not valid.", code="bad_link")
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=survey_days()))
    except signing.SignatureExpired:
        raise TransitionRefused("This survey link has expired.", code="expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise bad_link from None
    pk = survey_id(data.get("survey")) if isinstance(data, dict) else None
    survey = Survey.objects.filter(pk=pk).first() if pk else None
    if survey is None:
        raise bad_link
    if survey.expires_at <= timezone.now():
        raise TransitionRefused("This survey link has expired.", code="expired")
    return survey


def _about(kind, record) -> dict:
    """What a survey fact says about its ticket; ``<type>_id`` as the ticket facts name it."""
    return {
        f"{kind.key}_id": record.pk,
        "record_type": kind.key,
        "record_id": record.pk,
        "number": record.number,
    }


@transaction.atomic
def survey_request(*, record) -> Survey | None:
    """One survey per ticket: a second resolution does not ask again."""
    kind = ticket_type_of(record)
    survey, created = Survey.objects.get_or_create(
        record_type=kind.key,
        record_id=record.pk,
        defaults={
            "number": record.number,
            "caller_id": record.caller_id,
            "expires_at": timezone.now() + timedelta(days=survey_days()),
        },
    )
    if not created:
        return None
    outbox_publish(
        topic="servicedesk.survey_requested",
        payload={
            **_about(kind, record),
            "caller_id": record.caller_id,
            "survey_id": survey.pk,
            "survey_url": survey_url(survey),
        },
    )
    return survey


@transaction.atomic
def survey_answer(*, survey: Survey, rating, comment: str = "") -> Survey:
    current = Survey.objects.select_for_update().get(pk=survey.pk)
    if current.answered:
        raise TransitionRefused("This survey has already been answered. Thank you!")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationFailed("Pick a rating.", fields={"rating": ["Choose 1 to 5."]})
    comment = (comment or "").strip()
    if len(comment) > 5000:
        raise ValidationFailed(
            "That is too long.", fields={"comment": ["At most 5000 characters."]}
        )
    current.rating, current.comment, current.answered_at = rating, comment, timezone.now()
    current.save(update_fields=["rating", "comment", "answered_at"])
    audit_record(
        action="survey.answered",
        obj=current,
        changes={"rating": {"from": None, "to": rating}},
        actor=None,
    )
    record = current.record
    if rating <= LOW_RATING and record is not None:
        group = record.assignment_group
        outbox_publish(
            topic="servicedesk.low_rating",
            payload={
                **_about(ticket_type_of(record), record),
                "survey_id": current.pk,
                "rating": rating,
                "assignment_group_id": record.assignment_group_id,
                "assignee_id": record.assignee_id,
                "team_lead_id": getattr(group, "lead_id", None),
            },
        )
    return current
