"""Every write of trend detection: a run's candidates, and the desk accepting or dismissing one.

A run reads the window's incidents, clusters them (``detect``, outside any transaction: it is
the slow part) and then writes what it found in one transaction: new candidates (each audited,
each announced as ``problem.candidate_found`` in the outbox so problem managers hear of it),
open candidates whose trend grew updated in place, and nothing at all for a trend the desk
already dismissed with the same incidents, or with more.
"""

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets.services import locked
from opsdesk.incidents.models import Incident
from opsdesk.problems.models import CandidateState, LinkVia, Problem, ProblemCandidate
from opsdesk.problems.services import problem_create
from opsdesk.problems.trends import selectors
from opsdesk.problems.trends.detect import Trend, TrendSettings, find_trends

FOUND_TOPIC = "problem.candidate_found"
MAX_REASON = 500


@dataclass
class TrendRun:
    """What one run did, for the page's message and the worker's log."""

    looked_at: int = 0
    found: list[ProblemCandidate] = field(default_factory=list)
    updated: list[ProblemCandidate] = field(default_factory=list)
    unchanged: int = 0
    dismissed_before: int = 0
    # Where the time went: reading the window, clustering, writing the candidates.
    seconds: dict[str, float] = field(default_factory=dict)


def signature_of(incident_ids) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(incident_ids)).encode()).hexdigest()


def trend_detect(
    *, actor=None, now: datetime | None = None, settings: TrendSettings | None = None
) -> TrendRun:
    """Look for recurring failures over the window and record them as candidates."""
    if actor is not None and not is_agent(actor):
        raise NotPermitted("Only service-desk staff may look for trends.")
    now = now or timezone.now()
    settings = settings or TrendSettings(window_days=django_settings.OPSDESK_TREND_WINDOW_DAYS)
    started = time.monotonic()
    sightings = selectors.sightings_in_window(now=now, days=settings.window_days)
    read = time.monotonic()
    trends = find_trends(sightings, settings)
    clustered = time.monotonic()
    run = TrendRun(looked_at=len(sightings))
    with transaction.atomic():
        for trend in trends:
            _record(run, trend, actor=actor, now=now, settings=settings)
    run.seconds = {
        "reading": read - started,
        "clustering": clustered - read,
        "writing": time.monotonic() - clustered,
    }
    return run


def _record(run: TrendRun, trend: Trend, *, actor, now, settings: TrendSettings) -> None:
    ids = set(trend.ids)
    if selectors.dismissed_covering(ids):
        run.dismissed_before += 1
        return
    signature = signature_of(ids)
    touching = selectors.open_candidates_touching(ids)
    if any(c.signature == signature for c in touching):
        run.unchanged += 1
        return
    central = Incident.objects.filter(pk=trend.central_id or trend.ids[0]).values_list(
        "short_description", flat=True
    )
    values = {
        "title": (central.first() or " ".join(trend.top_terms))[:200],
        "incident_count": len(ids),
        "first_seen": trend.first_seen,
        "last_seen": trend.last_seen,
        "top_terms": trend.top_terms,
        "cohesion": trend.cohesion,
        "window_days": settings.window_days,
        "signature": signature,
    }
    m2m = {
        "incidents": sorted(ids),
        "services": trend.service_ids,
        "cis": trend.ci_ids,
        "categories": trend.category_ids,
    }
    if touching:
        # The same trend, grown or shifted with the window: one candidate follows it.
        keep, *superseded = sorted(touching, key=lambda c: c.pk)
        for old in superseded:
            audit_record(action="problem_candidate.superseded", obj=old, actor=actor)
            old.delete()
        run.updated.append(
            record_update(
                keep, values=values, actor=actor, action="problem_candidate.updated", m2m=m2m
            )
        )
        return
    candidate = record_create(
        ProblemCandidate,
        values={**values, "found_at": now},
        actor=actor,
        action="problem_candidate.found",
        m2m=m2m,
    )
    outbox_publish(
        topic=FOUND_TOPIC,
        payload={
            "candidate_id": candidate.pk,
            "title": candidate.title,
            "incident_count": candidate.incident_count,
            "actor_id": getattr(actor, "pk", None),
        },
    )
    run.found.append(candidate)


def _require_desk(actor) -> None:
    if actor is None or not is_agent(actor):
        raise NotPermitted("Only service-desk staff may decide on a trend.")


def _open(candidate: ProblemCandidate, expected_version) -> ProblemCandidate:
    current = locked(candidate, expected_version)
    if current.state != CandidateState.OPEN:
        raise ValidationFailed(
            f"This trend was {current.get_state_display().lower()} already.",
            fields={"state": ["Only an open candidate can be accepted or dismissed."]},
        )
    return current


def _description(candidate: ProblemCandidate, incidents: list[Incident]) -> str:
    lines = [
        f"Found by trend detection: {candidate.incident_count} similar incidents between "
        f"{candidate.first_seen:%d %b %Y} and {candidate.last_seen:%d %b %Y}.",
    ]
    if candidate.top_terms:
        lines.append("Words they share: " + ", ".join(candidate.top_terms) + ".")
    lines.append("")
    lines += [f"- {i.number}: {i.short_description}" for i in incidents]
    return "\n".join(lines)


@transaction.atomic
def candidate_accept(
    *, actor, candidate: ProblemCandidate, expected_version=None, title: str = ""
) -> Problem:
    """A problem raised by ``actor`` with the candidate's incidents linked (via trend)."""
    _require_desk(actor)
    current = _open(candidate, expected_version)
    incidents = list(current.incidents.order_by("opened_at", "pk"))
    # The most common group and category of the calls are where the problem starts.
    groups = Counter(i.assignment_group for i in incidents if i.assignment_group_id)
    categories = Counter(i.category for i in incidents if i.category_id)
    problem = problem_create(
        actor=actor,
        short_description=(title or current.title).strip(),
        description=_description(current, incidents),
        category=categories.most_common(1)[0][0] if categories else None,
        assignment_group=groups.most_common(1)[0][0] if groups else None,
        services=list(current.services.all()),
        cis=list(current.cis.all()),
        incidents=incidents,
        via=LinkVia.TREND,
        reason="Found by trend detection",
    )
    record_update(
        current,
        values={
            "state": CandidateState.ACCEPTED,
            "problem": problem,
            "decided_by": actor,
            "decided_at": timezone.now(),
        },
        actor=actor,
        action="problem_candidate.accepted",
        locked=True,
    )
    problem.refresh_from_db()  # the impact tally was counted in the database
    return problem


@transaction.atomic
def candidate_dismiss(
    *, actor, candidate: ProblemCandidate, expected_version=None, reason: str = ""
) -> ProblemCandidate:
    """Not a problem: remembered, so these incidents (or some of them) are not offered again."""
    _require_desk(actor)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.", fields={"reason": [f"At most {MAX_REASON} characters."]}
        )
    current = _open(candidate, expected_version)
    return record_update(
        current,
        values={
            "state": CandidateState.DISMISSED,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "dismiss_reason": reason,
        },
        actor=actor,
        action="problem_candidate.dismissed",
        locked=True,
    )
