"""Demo reporting: the numbers of Larkfield Home's last ninety days (the story is in
``opsdesk.core.demo``), so every dashboard has a trend to draw.

It runs last, after every record is in. It tells the end of one story the incidents demo
begins: from ninety days ago Customer Care called about customers' replies with attachments
never reaching the Customer Support Portal (the incidents demo's template on ``ticket-mailer``
that stops ``SUPPORT_MAIL_FIX_DAYS_AGO`` days ago). Collaboration Apps raised a problem two
weeks in, found the cause (the mail relay in front of the portal refused messages over 10 MB),
published a workaround, and fixed it forty days ago; the calls stopped, and the weekly
incidents on the portal drop by half from then on. The problem goes through the problems
services, and its milestones are moved back to the days the story says.

Then: a satisfaction survey on about half of the resolved tickets, a third of them answered
(the portal's callers rate it low until the fix); every fact row computed in bulk; and the
backlog snapshot of each of the ninety days, so the backlog trend starts ninety days back.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Q
from django.utils import timezone

from opsdesk.core.models import Team, TicketHistory, TimelineEntry, User
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.incidents.demo import (
    DAYS,
    MONITORING_USERNAME,
    SUPPORT_MAIL_FIX_DAYS_AGO,
    SUPPORT_MAIL_SUMMARIES,
)
from opsdesk.incidents.models import Incident
from opsdesk.problems import services as problem_services
from opsdesk.problems.models import Problem, ProblemIncident
from opsdesk.reporting import services
from opsdesk.reporting.periods import local_day
from opsdesk.reporting.services.bulk import facts_rebuild_bulk
from opsdesk.servicedesk.models import Survey

PROBLEM_TITLE = "Customer replies with large attachments never reach the support portal"
# The problem's milestones, in days ago: raised, assessed, root cause known (a known error with
# a workaround), fix started, fixed (resolved), closed.
MILESTONES = {
    "opened": 76,
    "assess": 74,
    "analyse": 71,
    "known_error": 58,
    "start_fix": 47,
    "resolve": SUPPORT_MAIL_FIX_DAYS_AGO,
    "close": SUPPORT_MAIL_FIX_DAYS_AGO - 7,
}
ANALYSIS = {
    "symptoms": (
        "Customers reply to a case by mail; replies with large attachments never show on the "
        "case, and some customers get a bounce."
    ),
    "root_cause": (
        "The mail relay in front of ticket-mailer refused messages over 10 MB; the portal "
        "allows 25 MB, so customers' photos and PDFs were turned away before the portal saw them."
    ),
    "workaround": "Ask the customer to share large files as a link, or to send them one by one.",
    "permanent_fix": "Raised the relay's limit to 30 MB and alert when a message is refused.",
}
SURVEY_SHARE = 0.5  # of resolved tickets asked for feedback
ANSWER_SHARE = 0.35  # of those asked who answer
RATING_WEIGHTS = [4, 5, 11, 35, 45]  # 1..5 stars
UNHAPPY_WEIGHTS = [25, 25, 25, 15, 10]  # callers whose replies were lost


def _backdate(record_type: str, record, moment, since: tuple[int, int]) -> tuple[int, int]:
    """Move the history and timeline rows the last step wrote (ids after ``since``) to
    ``moment``; returns the newest ids, for the next step."""
    content_type = ContentType.objects.get_for_model(type(record))
    history = TicketHistory.objects.filter(
        record_type=record_type, record_id=record.pk, id__gt=since[0]
    )
    entries = TimelineEntry.objects.filter(
        content_type=content_type, object_id=str(record.pk), id__gt=since[1]
    )
    history.update(at=moment)
    entries.update(created_at=moment)
    return _newest()


def _newest() -> tuple[int, int]:
    return (
        TicketHistory.objects.aggregate(m=Max("id"))["m"] or 0,
        TimelineEntry.objects.aggregate(m=Max("id"))["m"] or 0,
    )


def support_mail_incidents():
    """The recurring failure's incidents (the incidents demo's ``ticket-mailer`` calls)."""
    match = Q()
    for summary in SUPPORT_MAIL_SUMMARIES:
        match |= Q(short_description=summary)
    return Incident.objects.filter(match)


def support_mail_problem(*, progress) -> Problem | None:
    """The fixed problem behind the failure, raised and moved through the problems services,
    its milestones then set to the days of the story."""
    existing = Problem.objects.filter(short_description=PROBLEM_TITLE).first()
    if existing is not None:
        return existing
    manager = User.objects.filter(username="problems").first()
    team = Team.objects.filter(name="Collaboration Apps").first()
    now = timezone.now()
    raised = now - timedelta(days=MILESTONES["opened"])
    incidents = list(support_mail_incidents().filter(opened_at__lte=raised).order_by("opened_at"))
    if manager is None or team is None or not incidents:
        progress("the support portal's problem skipped: run the incidents and problems demos")
        return None
    since = _newest()
    problem = problem_services.problem_create(
        actor=manager,
        short_description=PROBLEM_TITLE,
        description="Customer Care keeps calling about replies missing from cases.",
        assignment_group=team,
        problem_manager=manager,
        services=[s for s in [incidents[0].service] if s is not None],
        cis=[c for c in [incidents[0].ci] if c is not None],
        incidents=incidents,
        reason="The same failure: replies with attachments lost",
    )
    Problem.objects.filter(pk=problem.pk).update(opened_at=raised, created_at=raised)
    since = _backdate("problem", problem, raised, since)
    problem = problem_services.problem_update(actor=manager, problem=problem, **ANALYSIS)
    since = _backdate("problem", problem, raised, since)
    stamps = {
        "assess": "assessed_at",
        "known_error": "root_cause_at",
        "start_fix": "fix_started_at",
        "resolve": "fixed_at",
    }
    for action in ("assess", "analyse", "known_error", "start_fix", "resolve", "close"):
        moment = now - timedelta(days=MILESTONES[action])
        if action == "resolve":
            # The calls that came in while it was analysed are linked before the fix.
            later = support_mail_incidents().filter(opened_at__gt=raised, opened_at__lt=moment)
            problem_services.problem_link_incidents(
                actor=manager,
                problem=problem,
                incidents=list(later.exclude(problem_links__problem=problem)),
                reason="The same failure: replies with attachments lost",
            )
        problem = problem_services.problem_transition(
            actor=manager,
            problem=problem,
            action=action,
            reason="The relay's limit is raised; no reply has been refused since."
            if action == "resolve"
            else "",
        )
        fields = {stamps[action]: moment} if action in stamps else {}
        if action == "resolve":
            fields["resolved_at"] = moment
        if action == "close":
            fields["closed_at"] = moment
        Problem.objects.filter(pk=problem.pk).update(updated_at=moment, **fields)
        since = _backdate("problem", problem, moment, since)
    # Each link dates from when the incident was linked: at the raise, or as it came in.
    for link in ProblemIncident.objects.filter(problem=problem).select_related("incident"):
        linked = max(link.incident.opened_at + timedelta(hours=1), raised)
        ProblemIncident.objects.filter(pk=link.pk).update(linked_at=linked)
    linked = ProblemIncident.objects.filter(problem=problem).count()
    progress(
        f"{problem.number}: the support portal's lost replies, fixed "
        f"{SUPPORT_MAIL_FIX_DAYS_AGO} days ago; {linked} incidents linked"
    )
    return problem


def surveys(*, progress) -> int:
    """Satisfaction surveys on resolved tickets, written in bulk; existing ones are kept."""
    rng = random.Random(1717)
    failure = set(support_mail_incidents().values_list("pk", flat=True))
    monitoring = User.objects.filter(username=MONITORING_USERNAME).values_list("pk", flat=True)
    rows = []
    for tt in ticket_types():
        states = getattr(tt, "survey_states", None)
        if not states or not hasattr(tt.model, "caller"):
            continue
        asked = set(Survey.objects.filter(record_type=tt.key).values_list("record_id", flat=True))
        records = (
            tt.model._default_manager.filter(resolved_at__isnull=False, caller__isnull=False)
            .exclude(caller_id__in=list(monitoring))
            .order_by("pk")
            .values_list("pk", "number", "caller_id", "resolved_at")
        )
        for pk, number, caller, resolved in records:
            if rng.random() >= SURVEY_SHARE or pk in asked:
                continue
            survey = Survey(
                record_type=tt.key,
                record_id=pk,
                number=number,
                caller_id=caller,
                expires_at=resolved + timedelta(days=14),
            )
            if rng.random() < ANSWER_SHARE:
                weights = UNHAPPY_WEIGHTS if tt.key == "incident" and pk in failure else None
                survey.rating = rng.choices(range(1, 6), weights=weights or RATING_WEIGHTS)[0]
                survey.answered_at = resolved + timedelta(hours=rng.uniform(1, 72))
            rows.append((survey, resolved))
    created = Survey.objects.bulk_create([s for s, _ in rows], batch_size=500)
    # ``created_at`` is stamped "now"; a survey went out when its ticket was resolved.
    for survey, (_, resolved) in zip(created, rows, strict=True):
        survey.created_at = resolved
    Survey.objects.bulk_update(created, ["created_at"], batch_size=500)
    answered = sum(1 for s in created if s.rating is not None)
    progress(f"{len(created)} satisfaction surveys, {answered} answered")
    return len(created)


def snapshots(*, days: int = DAYS) -> int:
    """The backlog as it stood at the end of each of the last ``days`` days."""
    backfill = getattr(services, "backlog_snapshots_backfill", None)
    if backfill is not None:
        return backfill(days=days)
    today = local_day(timezone.now())
    return sum(
        services.backlog_snapshot_take(day=today - timedelta(days=offset))
        for offset in range(days, 0, -1)
    )


def load(*, progress) -> None:
    support_mail_problem(progress=progress)
    surveys(progress=progress)
    facts = facts_rebuild_bulk()
    progress(f"{facts} fact rows computed")
    rows = snapshots()
    progress(f"backlog snapshots of the last {DAYS} days ({rows} rows)")
