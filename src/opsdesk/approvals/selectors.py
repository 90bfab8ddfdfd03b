"""Reads of the approval engine, filtered by who is asking."""

import hashlib
from datetime import date

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from opsdesk.approvals.models import (
    Approval,
    ApprovalRequest,
    ApprovalScheme,
    ApprovalToken,
    Delegation,
    RequestState,
    TokenKind,
)
from opsdesk.core.roles import Role, has_role, is_admin


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def delegations_active(*, on: date | None = None) -> QuerySet[Delegation]:
    day = on or timezone.localdate()
    return Delegation.objects.filter(starts_on__lte=day, ends_on__gte=day)


def delegators_of(*, delegate, on: date | None = None) -> list[int]:
    """The people whose approvals ``delegate`` may decide today."""
    return list(
        delegations_active(on=on).filter(delegate=delegate).values_list("delegator_id", flat=True)
    )


def may_act_for(*, actor, approver, on: date | None = None) -> bool:
    """Is ``actor`` the approver, or the approver's active delegate?"""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.pk == approver.pk:
        return True
    return delegations_active(on=on).filter(delegator=approver, delegate=actor).exists()


def approval_requests_for(*, viewer) -> QuerySet[ApprovalRequest]:
    """What ``viewer`` is asked to approve, their own and their delegators', pending first."""
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return ApprovalRequest.objects.none()
    mine = Q(approver=viewer) | Q(
        approver_id__in=delegators_of(delegate=viewer), state=RequestState.PENDING
    )
    return (
        ApprovalRequest.objects.filter(mine)
        .select_related(
            "approver",
            "delegated_from",
            "decided_by",
            "run__stage",
            "run__approval__scheme",
            "run__approval__subject_type",
            "run__approval__requested_for",
        )
        .annotate(
            pending_first=Case(
                When(state=RequestState.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("pending_first", "-created_at", "-id")
    )


def may_open_inbox(*, viewer) -> bool:
    """Approvers, administrators, and anyone who has been asked (or stands in for someone)."""
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return False
    if has_role(viewer, Role.APPROVER) or is_admin(viewer):
        return True
    return approval_requests_for(viewer=viewer).exists()


def approvals_for_subject(*, subject) -> QuerySet[Approval]:
    from django.contrib.contenttypes.models import ContentType

    return Approval.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).prefetch_related("runs__requests__approver", "runs__stage")


def request_for_token(*, token: str, kind: str = TokenKind.LINK) -> ApprovalRequest | None:
    """The request a link or mail token belongs to, or None for an unknown token."""
    if not token or len(token) > 128:
        return None
    row = (
        ApprovalToken.objects.filter(token_hash=token_hash(token), kind=kind)
        .select_related("request__run__approval", "request__approver")
        .first()
    )
    return row.request if row is not None else None


def scheme_list(*, viewer) -> QuerySet[ApprovalScheme]:
    if not is_admin(viewer):
        return ApprovalScheme.objects.none()
    return ApprovalScheme.objects.prefetch_related("stages__from_users")


def subject_summary(approval: Approval) -> dict:
    """What an approver sees of the ticket: its number, summary, who asked and for whom."""
    subject = approval.subject
    caller = getattr(subject, "caller", None)
    return {
        "number": getattr(subject, "number", "") or str(subject),
        "short_description": getattr(subject, "short_description", "") or str(subject),
        "description": getattr(subject, "description", ""),
        "requester": str(caller) if caller else "",
        "requested_for": str(approval.requested_for) if approval.requested_for else "",
    }


def answer_rows(approval: Approval) -> list[tuple[str, str]]:
    """What was asked, as the approver reads it: the ticket's own form answers with their
    labels and shown values (a choice's label, "Yes" for a tick), then the other answers the
    conditions read (a request item's cost and quantity), keys read as words."""
    from opsdesk.core.formschema.selectors import answered_keys, answers_of

    subject = approval.subject
    rows = answers_of(subject) if subject is not None else []
    from_form = answered_keys(subject) if subject is not None else set()
    for key, value in (approval.answers or {}).items():
        if key in from_form:
            continue
        label = str(key).replace("_", " ").strip().capitalize()
        rows.append((label, _shown(value)))
    return rows


def _shown(value) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return "" if value is None else str(value)


APPROVER_WORDS = {
    "pending": "waiting",
    "approved": "approved",
    "rejected": "rejected",
    "not_needed": "no longer needed",
}


def approval_story(*, subject) -> list[dict]:
    """Each approval stage of the subject's latest approval: its name, how it stands, and each
    approver's answer, in words a requester reads."""
    approval = approvals_for_subject(subject=subject).order_by("-pk").first()
    if approval is None:
        return []
    story = []
    for run in approval.runs.order_by("position", "pk"):
        people = [
            {
                "name": str(ask.approver),
                "words": APPROVER_WORDS.get(ask.state, ask.get_state_display().lower()),
                "comment": ask.comment,
                "at": ask.decided_at,
            }
            for ask in run.requests.all()
        ]
        story.append({"stage": run.stage.name, "state": run.get_state_display(), "people": people})
    return story
