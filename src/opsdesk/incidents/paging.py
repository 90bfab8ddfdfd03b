"""Paging the on-call engineer of an incident's assignment group.

A P1 or P2 incident, or any major incident, pages the group's on-call and follows the group's
escalation policy (``opsdesk.oncall``) step by step until someone acknowledges — from the link
in the page, the UI or the API — or the policy runs out. Each notification is an
``incident.page`` outbox event per person (notifications deliver it as email and webhook), so a
page commits with the change that caused it and is never lost. Acknowledging stops the walk and
counts as the incident's first response (``services.incident_acknowledge``).
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.models import TimelineKind
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents.models import Page, PageNotification, PageStatus
from opsdesk.oncall.selectors import escalation_next_step, escalation_targets, oncall_now

ACK_SALT = "opsdesk.incidents.page-ack"
ACK_LINK_DAYS = 7


def should_page(incident) -> bool:
    return incident.is_major or incident.priority <= 2


def ack_token(*, incident, user) -> str:
    return signing.dumps({"i": incident.pk, "u": user.pk}, salt=ACK_SALT, compress=True)


def ack_token_read(token: str) -> tuple[int, int] | None:
    """(incident id, user id) from a page's acknowledgement link, or None when it is bad."""
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=timedelta(days=ACK_LINK_DAYS))
    except signing.BadSignature:
        return None
    return int(data["i"]), int(data["u"])


def _policy_for(team):
    return team.escalation_policies.prefetch_related("steps").order_by("id").first()


def _targets(page: Page, at) -> list:
    if page.policy is not None:
        return escalation_targets(policy=page.policy, step_index=page.step_index, at=at)
    # No policy: whoever is on call, else the team lead, once.
    people = oncall_now(team=page.team, at=at)
    if not people and page.team.lead is not None and page.team.lead.is_active:
        people = [page.team.lead]
    return people


def _notify(page: Page, at) -> None:
    people = _targets(page, at)
    incident = page.incident
    for person in people:
        PageNotification.objects.create(
            page=page, user=person, step_index=page.step_index, repeat=page.repeat, sent_at=at
        )
        path = reverse("incidents:page-ack", args=[ack_token(incident=incident, user=person)])
        outbox_publish(
            topic="incident.page",
            payload={
                "incident_id": incident.pk,
                "number": incident.number,
                "short_description": incident.short_description,
                "priority": incident.priority,
                "user_id": person.pk,
                "email": person.email,
                "step": page.step_index,
                "repeat": page.repeat,
                "reason": page.reason,
                "acknowledge_url": f"{settings.BASE_URL}{path}",
            },
        )
    names = ", ".join(str(p) for p in people) or "nobody (no one is on call)"
    timeline_add(
        record=incident,
        kind=TimelineKind.SYSTEM,
        body=f"Paged {names} ({page.team}, step {page.step_index + 1}).",
        data={"page_id": page.pk, "user_ids": [p.pk for p in people]},
        at=at,
    )
    if not people:
        outbox_publish(
            topic="incident.page_unrouted",
            payload={"incident_id": incident.pk, "team_id": page.team_id, "page_id": page.pk},
        )


def page_on_call(*, incident, reason: str, at=None, new_incident: bool = False) -> Page | None:
    """Start paging the incident's assignment group (once per group while a page is live).

    ``new_incident``: the incident was created in this transaction, so it has no page yet and
    nobody else can page it; the page is then written with its schedule in one insert.
    """
    if incident.assignment_group_id is None:
        return None
    at = at or timezone.now()
    if not new_incident:
        live = Page.objects.filter(
            incident=incident, team_id=incident.assignment_group_id, status=PageStatus.PAGING
        )
        if live.exists():
            return None
    team = incident.assignment_group
    page = Page(
        incident=incident,
        team=team,
        policy=_policy_for(team),
        reason=reason[:100],
        created_at=at,
    )
    if new_incident:
        _schedule(page, at)
        page.save()
        _notify(page, at)
        return page
    # Saved as live first: the one-live-page constraint refuses a second page racing this one.
    page.save()
    _notify(page, at)
    _advance_schedule(page, at)
    return page


def _schedule(page: Page, at) -> None:
    """Set when the next step is due (or end the page when the policy has no next step)."""
    nxt = (
        escalation_next_step(policy=page.policy, step_index=page.step_index, repeat=page.repeat)
        if page.policy is not None
        else None
    )
    if nxt is None:
        page.status, page.next_step_at = PageStatus.EXHAUSTED, None
    else:
        page.next_step_at = at + nxt.delay


def _advance_schedule(page: Page, at) -> None:
    _schedule(page, at)
    page.save(update_fields=["status", "next_step_at"])


def pages_escalate_due(*, now=None, limit: int = 200) -> int:
    """Move every page whose next step is due; returns how many moved. Safe with several
    workers: each page is claimed under a row lock, and a page moved already is not due."""
    now = now or timezone.now()
    moved = 0
    with transaction.atomic():
        due = Page.objects.filter(status=PageStatus.PAGING, next_step_at__lte=now).order_by(
            "next_step_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        for page in due.select_related("incident", "team", "policy")[:limit]:
            nxt = (
                escalation_next_step(
                    policy=page.policy, step_index=page.step_index, repeat=page.repeat
                )
                if page.policy is not None
                else None
            )
            if nxt is None:
                page.status, page.next_step_at = PageStatus.EXHAUSTED, None
                page.save(update_fields=["status", "next_step_at"])
                continue
            page.step_index, page.repeat = nxt.step_index, nxt.repeat
            page.save(update_fields=["step_index", "repeat"])
            _notify(page, now)
            _advance_schedule(page, now)
            moved += 1
    return moved


def pages_acknowledge(*, incident, actor, at) -> int:
    """Someone has it: every live page of the incident stops."""
    return Page.objects.filter(incident=incident, status=PageStatus.PAGING).update(
        status=PageStatus.ACKNOWLEDGED,
        acknowledged_at=at,
        acknowledged_by=actor,
        next_step_at=None,
    )


def pages_stop(*, incident, at) -> int:
    """The incident no longer needs anyone woken (resolved, cancelled, merged)."""
    return Page.objects.filter(incident=incident, status=PageStatus.PAGING).update(
        status=PageStatus.STOPPED, next_step_at=None
    )
