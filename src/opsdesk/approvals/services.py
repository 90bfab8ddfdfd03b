"""Every write of the approval engine: start, decide, cancel, sweep, delegate, configure.

Each service runs in one transaction with its audit entries, the subject's timeline entries
and its outbox facts:

- ``approval.requested``: a stage started; names the ``approver_ids`` and ``request_ids``.
- ``approval.decided``: one approver approved or rejected.
- ``approval.reminder``: an approver is reminded of a pending request.
- ``approval.approved`` / ``approval.rejected``: the approval ended (with its ``reason``).
- ``approval.cancelled``: the ticket withdrew it.
- ``approval.reply_refused``: an approver's mail reply decided nothing (``user_id``, ``reason``).

When an approval ends, the callbacks registered with ``hooks.on_outcome`` for its ticket run
in the same transaction, so the ticket moves with the decision or not at all.
"""

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from opsdesk.approvals import hooks, rules
from opsdesk.approvals.conditions import condition_holds
from opsdesk.approvals.models import (
    Approval,
    ApprovalRequest,
    ApprovalScheme,
    ApprovalStage,
    ApprovalStageRun,
    ApprovalState,
    ApprovalToken,
    DecidedVia,
    Delegation,
    RequestState,
    StageRunState,
    TimeoutAction,
    TokenKind,
)
from opsdesk.approvals.selectors import (
    delegations_active,
    may_act_for,
    request_for_token,
    token_hash,
)
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import DomainError, NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import TimelineKind, User
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import validate_or_fail
from opsdesk.core.roles import is_admin, is_agent
from opsdesk.core.tickets.registry import ticket_type_of
from opsdesk.core.timeline import timeline_add

log = logging.getLogger(__name__)

DECISIONS = {"approve": RequestState.APPROVED, "reject": RequestState.REJECTED}


class AlreadyDecided(DomainError):
    """The request was decided (or is no longer needed): its link and mail token are spent."""

    status_code = 410
    code = "already_decided"


# --- helpers -----------------------------------------------------------------------------------
def _subject_key(subject: models.Model) -> str:
    try:
        return ticket_type_of(subject).key
    except LookupError:
        return subject._meta.label_lower


def _subject_label(subject: models.Model) -> str:
    return getattr(subject, "number", "") or str(subject)


def _fact(approval: Approval, **extra) -> dict:
    subject: Any = approval.subject
    return {
        "approval_id": approval.pk,
        "subject_type": _subject_key(subject),
        "subject_id": approval.subject_id,
        "number": _subject_label(subject),
        "scheme": approval.scheme.name,
        "requested_for_id": approval.requested_for_id,
        "caller_id": getattr(subject, "caller_id", None),
        **extra,
    }


def _note(approval: Approval, body: str, *, actor, data: dict | None = None) -> None:
    subject: Any = approval.subject
    timeline_add(
        record=subject,
        kind=TimelineKind.SYSTEM,
        author=actor,
        body=body,
        data={"approval": approval.pk, **(data or {})},
    )


def _excluded_ids(approval: Approval) -> set[int]:
    """Nobody approves their own request: the ticket's caller and the person it is for."""
    subject = approval.subject
    ids = {
        approval.requested_for_id,
        getattr(subject, "caller_id", None),
        getattr(subject, "requested_for_id", None),
    }
    return {i for i in ids if i is not None}


def _lock(approval: Approval) -> Approval:
    return Approval.objects.select_for_update().select_related("scheme").get(pk=approval.pk)


def _bump(approval: Approval, **fields) -> None:
    fields["version"] = approval.version + 1
    for name, value in fields.items():
        setattr(approval, name, value)
    approval.save(update_fields=[*fields, "updated_at"])


def _person_from_answer(value) -> User | None:
    if value in (None, ""):
        return None
    users = User.objects.filter(is_active=True)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return users.filter(pk=int(value)).first()
    text = str(value).strip()
    return users.filter(username=text).first() or users.filter(email__iexact=text).first()


def stage_approvers(*, stage: ApprovalStage, approval: Approval) -> list[User]:
    """Everyone the stage's sources name, once each, in the order the sources are listed."""
    subject = approval.subject
    people: list[Any] = []
    team: Any = stage.from_team
    ci: Any = approval.ci
    service: Any = approval.service
    if stage.from_manager:
        person = (
            approval.requested_for
            or getattr(subject, "requested_for", None)
            or getattr(subject, "caller", None)
        )
        if person is not None and person.manager_id:
            people.append(person.manager)
    if team is not None:
        people.extend(team.members.filter(is_active=True).order_by("pk"))
    people.extend(stage.from_users.filter(is_active=True).order_by("pk"))
    if stage.from_ci_owner and ci is not None and ci.service_owner_id:
        people.append(ci.service_owner)
    if stage.from_service_owner and service is not None and service.service_owner_id:
        people.append(service.service_owner)
    if stage.from_answer:
        # One person, or a list (an access request names every entitlement's owner).
        value = (approval.answers or {}).get(stage.from_answer)
        for each in value if isinstance(value, list) else [value]:
            named = _person_from_answer(each)
            if named is not None:
                people.append(named)
    unique: dict[int, User] = {}
    for person in people:
        if person.is_active:
            unique.setdefault(person.pk, person)
    return list(unique.values())


def _delegate_of(user: User, *, excluded: set[int]) -> User | None:
    row = (
        delegations_active()
        .filter(delegator=user, delegate__is_active=True)
        .exclude(delegate_id__in=excluded)
        .select_related("delegate")
        .order_by("-starts_on", "-id")
        .first()
    )
    return row.delegate if row is not None else None


def _new_request(run, approver, *, now, delegated_from=None, escalation=False):
    return ApprovalRequest.objects.create(
        run=run,
        approver=approver,
        delegated_from=delegated_from,
        created_at=now,
        escalation=escalation,
    )


def _ask(run: ApprovalStageRun, people: list[User], *, now, escalation=False):
    """One request per person, to their active delegate when they have one."""
    excluded = _excluded_ids(run.approval)
    made: dict[int, ApprovalRequest] = {}
    for person in people:
        delegate = _delegate_of(person, excluded=excluded)
        target, origin = (delegate, person) if delegate is not None else (person, None)
        if target.pk in made:
            continue
        made[target.pk] = _new_request(
            run, target, now=now, delegated_from=origin, escalation=escalation
        )
    return list(made.values())


def _publish_requested(approval, run, requests, *, actor) -> None:
    outbox_publish(
        topic="approval.requested",
        payload=_fact(
            approval,
            run_id=run.pk,
            stage=run.stage.name,
            approver_ids=[r.approver_id for r in requests],
            request_ids=[r.pk for r in requests],
            actor_id=getattr(actor, "pk", None),
        ),
    )


# --- the flow through the stages --------------------------------------------------------------
def _advance(approval: Approval, *, after: int, actor, now) -> None:
    """Start the first stage after position ``after`` whose condition holds; skip the others.
    With no stage left the approval is approved."""
    for stage in approval.scheme.stages.filter(position__gt=after).order_by("position", "id"):
        if not condition_holds(stage.condition, approval.answers):
            ApprovalStageRun.objects.create(
                approval=approval,
                stage=stage,
                position=stage.position,
                state=StageRunState.SKIPPED,
                started_at=now,
                decided_at=now,
                note=f"Skipped: the condition “{stage.condition}” does not hold.",
            )
            _note(
                approval,
                f"Approval stage “{stage.name}” skipped: its condition does not hold.",
                actor=actor,
                data={"stage": stage.name, "skipped": True},
            )
            continue
        _start_stage(approval, stage, actor=actor, now=now)
        return
    _finish(approval, outcome=ApprovalState.APPROVED, actor=actor, now=now, reason="")


def _start_stage(approval: Approval, stage: ApprovalStage, *, actor, now) -> None:
    run = ApprovalStageRun.objects.create(
        approval=approval,
        stage=stage,
        position=stage.position,
        started_at=now,
        due_at=now + timedelta(hours=stage.timeout_hours)
        if stage.timeout_hours and stage.timeout_action
        else None,
    )
    _bump(approval, current_stage=stage)
    excluded = _excluded_ids(approval)
    named = stage_approvers(stage=stage, approval=approval)
    people = [p for p in named if p.pk not in excluded]
    escalation = False
    if not people:
        fallback = stage.fallback_approver
        if fallback is not None and fallback.is_active and fallback.pk not in excluded:
            people, escalation = [fallback], True
            run.escalated = True
            run.note = "Nobody else may approve this stage: the fallback approver decides."
            run.save(update_fields=["escalated", "note"])
        else:
            why = (
                "the only approvers it names are the people the request is for"
                if named
                else "it names nobody who can approve"
            )
            _refuse_stage(
                approval,
                run,
                reason=f"No one may approve stage “{stage.name}”: {why}.",
                actor=actor,
                now=now,
            )
            return
    requests = _ask(run, people, now=now, escalation=escalation)
    if not escalation:
        required = rules.required_approvals(
            stage.rule,
            total=len(requests),
            count=stage.required_count,
            percent=stage.required_percent,
        )
        if required > len(requests):
            ApprovalRequest.objects.filter(run=run).delete()
            _refuse_stage(
                approval,
                run,
                reason=f"Stage “{stage.name}” needs {required} approvals but only "
                f"{len(requests)} people may approve it.",
                actor=actor,
                now=now,
            )
            return
    names = ", ".join(str(r.approver) for r in requests)
    _note(
        approval,
        f"Approval stage “{stage.name}” started: waiting for {names}.",
        actor=actor,
        data={"stage": stage.name, "approvers": [r.approver_id for r in requests]},
    )
    _publish_requested(approval, run, requests, actor=actor)


def _refuse_stage(approval, run, *, reason: str, actor, now) -> None:
    run.state, run.decided_at, run.note, run.due_at = StageRunState.REJECTED, now, reason, None
    run.save(update_fields=["state", "decided_at", "note", "due_at"])
    _finish(approval, outcome=ApprovalState.REJECTED, actor=actor, now=now, reason=reason)


def _close_pending(run: ApprovalStageRun, *, now) -> None:
    run.requests.filter(state=RequestState.PENDING).update(
        state=RequestState.NOT_NEEDED, decided_at=now
    )


def _evaluate(approval: Approval, run: ApprovalStageRun, *, actor, now, reason: str) -> None:
    """After a decision: has the stage's rule been met, or made impossible?"""
    stage = run.stage
    requests = list(run.requests.all())
    if run.escalated:
        counted = [r for r in requests if r.escalation]
        required = 1
    else:
        counted = [r for r in requests if not r.escalation]
        required = rules.required_approvals(
            stage.rule,
            total=len(counted),
            count=stage.required_count,
            percent=stage.required_percent,
        )
    outcome = rules.stage_outcome(
        required=required,
        total=len(counted),
        approved=sum(r.state == RequestState.APPROVED for r in counted),
        rejected=sum(r.state == RequestState.REJECTED for r in counted),
    )
    if outcome is None:
        return
    _close_pending(run, now=now)
    run.decided_at, run.due_at = now, None
    if outcome == rules.Outcome.APPROVED:
        run.state = StageRunState.APPROVED
        run.save(update_fields=["state", "decided_at", "due_at"])
        _note(
            approval,
            f"Approval stage “{stage.name}” approved.",
            actor=actor,
            data={"stage": stage.name, "outcome": "approved"},
        )
        _advance(approval, after=run.position, actor=actor, now=now)
    else:
        run.state = StageRunState.REJECTED
        run.save(update_fields=["state", "decided_at", "due_at"])
        _finish(approval, outcome=ApprovalState.REJECTED, actor=actor, now=now, reason=reason)


def _finish(approval: Approval, *, outcome: str, actor, now, reason: str) -> None:
    before = approval.state
    _bump(approval, state=outcome, decided_at=now, current_stage=None, reason=reason)
    audit_record(
        action=f"approval.{outcome}",
        obj=approval,
        changes={"state": {"from": before, "to": outcome}, "reason": reason},
        actor=actor,
    )
    label = ApprovalState(outcome).label.lower()
    body = f"Approval {label}." + (f" Reason: {reason}" if reason else "")
    _note(approval, body, actor=actor, data={"outcome": outcome})
    outbox_publish(
        topic=f"approval.{outcome}",
        payload=_fact(approval, reason=reason, actor_id=getattr(actor, "pk", None)),
    )
    subject: Any = approval.subject
    for callback in hooks.callbacks_for(subject):
        callback(subject=subject, approval=approval, outcome=outcome, actor=actor)


# --- the public services ------------------------------------------------------------------------
@transaction.atomic
def approval_start(
    *,
    subject: models.Model,
    scheme: ApprovalScheme,
    answers: dict | None,
    requested_for=None,
    actor,
    privileged: bool = False,
    ci=None,
    service=None,
) -> Approval:
    """Run ``scheme`` on ``subject`` (any saved record): the first stage whose condition holds
    starts at once; when none does, the approval is approved there and then.

    ``ci`` and ``service`` are the configuration item and service the request is about (the
    owner sources read them); by default the subject's own ``ci`` and ``service`` fields.
    """
    fields: dict[str, list[str]] = {}
    if subject is None or subject.pk is None:
        fields["subject"] = ["Save the ticket before starting its approval."]
    if answers is not None and not isinstance(answers, dict):
        fields["answers"] = ["Answers are a mapping of field keys to values."]
    elif answers:
        try:
            json.dumps(answers)
        except (TypeError, ValueError):
            fields["answers"] = ["Answers hold text, numbers, true/false, lists and mappings."]
    if scheme is None or not scheme.active:
        fields["scheme"] = ["Choose an active approval scheme."]
    elif not scheme.stages.exists():
        fields["scheme"] = [f"The scheme “{scheme.name}” has no stages."]
    if fields:
        raise ValidationFailed(next(iter(fields.values()))[0], fields=fields)
    assert subject is not None and scheme is not None
    subject_type = ContentType.objects.get_for_model(subject)
    running = Approval.objects.filter(
        subject_type=subject_type, subject_id=subject.pk, state=ApprovalState.PENDING
    )
    if running.exists():
        raise TransitionRefused(f"{_subject_label(subject)} is already waiting for approval.")
    now = timezone.now()
    approval = Approval.objects.create(
        subject_type=subject_type,
        subject_id=subject.pk,
        scheme=scheme,
        privileged=privileged,
        answers=answers or {},
        requested_for=requested_for or getattr(subject, "requested_for", None),
        started_by=actor,
        ci=ci if ci is not None else getattr(subject, "ci", None),
        service=service if service is not None else getattr(subject, "service", None),
    )
    approval.subject = subject  # the caller's instance: callbacks see their own object
    audit_record(
        action="approval.started",
        obj=approval,
        changes={
            "subject": _subject_label(subject),
            "scheme": scheme.name,
            "privileged": privileged,
        },
        actor=actor,
    )
    _note(approval, f"Approval started ({scheme.name}).", actor=actor, data={"scheme": scheme.name})
    _advance(approval, after=-1, actor=actor, now=now)
    return approval


@transaction.atomic
def approval_decide(
    *, request: ApprovalRequest, decision: str, comment: str = "", actor, via: str
) -> ApprovalRequest:
    """Record ``actor``'s decision ("approve" or "reject") on ``request``: the approver's own,
    or their active delegate's. The stage then completes by its rule, or waits for more."""
    if decision not in DECISIONS:
        raise ValidationFailed(
            "Choose approve or reject.", fields={"decision": ["Choose approve or reject."]}
        )
    if via not in DecidedVia.values or via == DecidedVia.TIMEOUT:
        raise ValidationFailed("Unknown way of deciding.", fields={"via": ["Unknown value."]})
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise ValidationFailed(
            "The comment is too long.", fields={"comment": ["At most 4000 characters."]}
        )
    approval = _lock(request.run.approval)
    request = ApprovalRequest.objects.select_related("run__stage", "approver").get(pk=request.pk)
    run = request.run
    if not may_act_for(actor=actor, approver=request.approver):
        raise NotPermitted("Only the approver, or their delegate, may decide this approval.")
    if actor.pk in _excluded_ids(approval):
        raise NotPermitted("Nobody approves their own request.")
    if (
        request.state != RequestState.PENDING
        or run.state != StageRunState.PENDING
        or approval.state != ApprovalState.PENDING
    ):
        raise AlreadyDecided("This approval was already decided; nothing changed.")
    now = timezone.now()
    state = DECISIONS[decision]
    request.state, request.comment, request.decided_at = state, comment, now
    request.decided_via, request.decided_by = via, actor
    request.save(update_fields=["state", "comment", "decided_at", "decided_via", "decided_by"])
    ApprovalToken.objects.filter(request=request, used_at__isnull=True).update(used_at=now)
    on_behalf = f" for {request.approver}" if actor.pk != request.approver_id else ""
    audit_record(
        action=f"approval_request.{state}",
        obj=request,
        changes={
            "state": {"from": RequestState.PENDING, "to": state},
            "via": via,
            "comment": comment,
        },
        actor=actor,
    )
    verb = "approved" if state == RequestState.APPROVED else "rejected"
    _note(
        approval,
        f"{actor}{on_behalf} {verb} (stage “{run.stage.name}”)"
        + (f": {comment}" if comment else "."),
        actor=actor,
        data={"request": request.pk, "decision": state, "via": via},
    )
    outbox_publish(
        topic="approval.decided",
        payload=_fact(
            approval,
            request_id=request.pk,
            decision=state,
            via=via,
            approver_id=request.approver_id,
            actor_id=actor.pk,
            comment=comment,
        ),
    )
    reason = comment or f"Rejected by {actor}{on_behalf}."
    _evaluate(approval, run, actor=actor, now=now, reason=reason)
    return request


@transaction.atomic
def approval_cancel(*, approval: Approval, actor, reason: str = "") -> Approval:
    """Withdraw a pending approval (the ticket was cancelled); its requests are released.
    The outcome callbacks are not called: the ticket itself asked for this."""
    approval = _lock(approval)
    subject = approval.subject
    allowed = (
        actor is None
        or is_admin(actor)
        or is_agent(actor)
        or actor.pk
        in (
            getattr(subject, "caller_id", None),
            approval.requested_for_id,
        )
    )
    if not allowed:
        raise NotPermitted("Only agents and the requester may cancel an approval.")
    if approval.state != ApprovalState.PENDING:
        raise TransitionRefused("Only a pending approval can be cancelled.")
    now = timezone.now()
    for run in approval.runs.filter(state=StageRunState.PENDING):
        _close_pending(run, now=now)
        run.state, run.decided_at, run.due_at = StageRunState.CANCELLED, now, None
        run.save(update_fields=["state", "decided_at", "due_at"])
    reason = (reason or "").strip()
    _bump(
        approval, state=ApprovalState.CANCELLED, decided_at=now, current_stage=None, reason=reason
    )
    audit_record(
        action="approval.cancelled",
        obj=approval,
        changes={
            "state": {"from": ApprovalState.PENDING, "to": ApprovalState.CANCELLED},
            "reason": reason,
        },
        actor=actor,
    )
    _note(
        approval,
        "Approval cancelled." + (f" {reason}" if reason else ""),
        actor=actor,
        data={"outcome": "cancelled"},
    )
    outbox_publish(
        topic="approval.cancelled",
        payload=_fact(approval, reason=reason, actor_id=getattr(actor, "pk", None)),
    )
    return approval


# --- links and mail ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedTokens:
    link: str  # goes into /approvals/decide/<link>/
    mail: str  # goes into the subject as [APR:<mail>]


@transaction.atomic
def approval_request_issue_tokens(*, request: ApprovalRequest) -> IssuedTokens:
    """Two fresh random tokens for one mail about ``request``; only their hashes are kept.
    The mail that carries them is the only place the tokens themselves exist."""
    link, mail = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    ApprovalToken.objects.bulk_create(
        [
            ApprovalToken(request=request, kind=TokenKind.LINK, token_hash=token_hash(link)),
            ApprovalToken(request=request, kind=TokenKind.MAIL, token_hash=token_hash(mail)),
        ]
    )
    return IssuedTokens(link=link, mail=mail)


def approval_decide_by_link(*, token: str, decision: str, comment: str = "") -> ApprovalRequest:
    """Decide through the one-time link: whoever holds it acts as the approver it was sent to.
    Raises LookupError for an unknown token and AlreadyDecided once the request is spent."""
    request = request_for_token(token=token, kind=TokenKind.LINK)
    if request is None:
        raise LookupError("unknown approval link")
    if request.state != RequestState.PENDING:
        raise AlreadyDecided("This link was already used; the approval is decided.")
    return approval_decide(
        request=request,
        decision=decision,
        comment=comment,
        actor=request.approver,
        via=DecidedVia.LINK,
    )


@dataclass(frozen=True)
class MailDecision:
    decided: bool
    message: str
    request: ApprovalRequest | None = None


def read_mail_decision(text: str) -> tuple[str, str]:
    """("approve" | "reject" | "", comment) from a reply: its first word, then the rest."""
    words = (text or "").strip().split(None, 1)
    if not words:
        return "", ""
    first = words[0].strip(".,;:!-*").lower()
    decision = {
        "approve": "approve",
        "approved": "approve",
        "reject": "reject",
        "rejected": "reject",
    }.get(first, "")
    return decision, (words[1].strip() if len(words) > 1 else "")


@transaction.atomic
def approval_decide_by_mail(*, token: str, sender: str, text: str) -> MailDecision:
    """Decide from a reply to an approval mail. The token in its subject names the request;
    the sender must be its approver or their active delegate. Anything else decides nothing
    and says why (the caller keeps the message with that reason). The approver is answered
    (``approval.reply_refused``) when their own reply decided nothing; a stranger or a forged
    token is not, so a spoofed sender never draws mail to someone else."""
    request = request_for_token(token=token, kind=TokenKind.MAIL)
    if request is None:
        log.warning("approval reply from %s with an unknown token", sender)
        return MailDecision(False, "The approval token in the subject is not known.")
    sender = (sender or "").strip().lower()
    candidates = User.objects.filter(email__iexact=sender, is_active=True) if sender else []
    actor = next((u for u in candidates if may_act_for(actor=u, approver=request.approver)), None)
    if actor is None:
        log.warning(
            "approval reply for request %s from %s, who is not its approver", request.pk, sender
        )
        return MailDecision(
            False, f"{sender or 'The sender'} is not the approver of this request.", request
        )
    decision, comment = read_mail_decision(text)
    reason = ""
    if not decision:
        reason = "The reply must start with the word approve or reject."
    else:
        try:
            approval_decide(
                request=request,
                decision=decision,
                comment=comment,
                actor=actor,
                via=DecidedVia.MAIL,
            )
        except DomainError as refusal:
            reason = refusal.message
    if reason:
        outbox_publish(
            topic="approval.reply_refused",
            payload=_fact(
                request.run.approval, request_id=request.pk, user_id=actor.pk, reason=reason
            ),
        )
        return MailDecision(False, reason, request)
    return MailDecision(True, f"{actor} {decision}d by mail.", request)


# --- the sweep: reminders, timeouts, escalation ----------------------------------------------
def _claim(qs):
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True)
    return qs.select_for_update()


def _remind_due(now) -> int:
    sent = 0
    candidates = (
        ApprovalRequest.objects.filter(
            state=RequestState.PENDING,
            run__state=StageRunState.PENDING,
            run__stage__reminder_hours__isnull=False,
        )
        .select_related("run__stage")
        .order_by("id")
    )
    for row in candidates:
        hours = row.run.stage.reminder_hours or 0
        last = row.reminder_sent_at or row.created_at
        if not hours or last + timedelta(hours=hours) > now:
            continue
        with transaction.atomic():
            request = _claim(ApprovalRequest.objects.filter(pk=row.pk)).first()
            if request is None or request.state != RequestState.PENDING:
                continue
            if (request.reminder_sent_at or request.created_at) + timedelta(hours=hours) > now:
                continue  # another worker reminded in the meantime
            request.reminder_sent_at = now
            request.save(update_fields=["reminder_sent_at"])
            approval = request.run.approval
            outbox_publish(
                topic="approval.reminder",
                payload=_fact(
                    approval,
                    request_ids=[request.pk],
                    approver_ids=[request.approver_id],
                    stage=row.run.stage.name,
                    actor_id=None,
                ),
            )
            sent += 1
    return sent


def _escalate(approval, run, *, now, why: str) -> bool:
    stage = run.stage
    fallback = stage.fallback_approver
    excluded = _excluded_ids(approval)
    if fallback is None or not fallback.is_active or fallback.pk in excluded:
        run.due_at = None
        run.note = f"{why} No fallback approver may take it: still waiting."
        run.save(update_fields=["due_at", "note"])
        _note(approval, f"Approval stage “{stage.name}”: {run.note}", actor=None)
        return False
    run.requests.filter(state=RequestState.PENDING).exclude(approver=fallback).update(
        state=RequestState.NOT_NEEDED, decided_at=now
    )
    existing = run.requests.filter(approver=fallback).first()
    if existing is not None:
        existing.escalation = True
        existing.save(update_fields=["escalation"])
        request = existing
    else:
        request = _new_request(run, fallback, now=now, escalation=True)
    run.escalated, run.due_at = True, None
    run.note = f"{why} Handed to {fallback}, who decides the stage alone."
    run.save(update_fields=["escalated", "due_at", "note"])
    audit_record(
        action="approval.escalated",
        obj=approval,
        changes={"stage": stage.name, "to": fallback.get_username()},
        actor=None,
    )
    _note(
        approval,
        f"Approval stage “{stage.name}”: {run.note}",
        actor=None,
        data={"stage": stage.name, "escalated_to": fallback.pk},
    )
    if request.state == RequestState.PENDING:
        _publish_requested(approval, run, [request], actor=None)
    else:
        # The fallback approver had already answered: that answer now decides the stage.
        _evaluate(
            approval, run, actor=None, now=now, reason=request.comment or f"Rejected by {fallback}."
        )
    return True


def _auto_decide(approval, run, *, now, state: str, why: str) -> None:
    comment = f"{why} {'Approved' if state == RequestState.APPROVED else 'Rejected'} automatically."
    pending = list(run.requests.filter(state=RequestState.PENDING))
    for request in pending:
        request.state, request.comment, request.decided_at = state, comment, now
        request.decided_via = DecidedVia.TIMEOUT
        request.save(update_fields=["state", "comment", "decided_at", "decided_via"])
    audit_record(
        action=f"approval.timeout_{state}",
        obj=approval,
        changes={"stage": run.stage.name, "requests": [r.pk for r in pending]},
        actor=None,
    )
    _note(
        approval,
        f"Approval stage “{run.stage.name}”: {comment}",
        actor=None,
        data={"stage": run.stage.name, "timeout": state},
    )
    _close_pending(run, now=now)
    run.decided_at, run.due_at = now, None
    if state == RequestState.APPROVED:
        run.state = StageRunState.APPROVED
        run.save(update_fields=["state", "decided_at", "due_at"])
        _advance(approval, after=run.position, actor=None, now=now)
    else:
        run.state = StageRunState.REJECTED
        run.save(update_fields=["state", "decided_at", "due_at"])
        _finish(approval, outcome=ApprovalState.REJECTED, actor=None, now=now, reason=comment)


def _time_out(run_id: int, *, now) -> str:
    with transaction.atomic():
        run = _claim(ApprovalStageRun.objects.filter(pk=run_id)).first()
        if run is None or run.state != StageRunState.PENDING or not run.due_at or run.due_at > now:
            return ""
        approval = _lock(run.approval)
        if approval.state != ApprovalState.PENDING:
            return ""
        stage = run.stage
        why = f"No decision within {stage.timeout_hours} hours."
        action = stage.timeout_action
        if action == TimeoutAction.APPROVE and approval.privileged:
            # Privileged access is never granted by silence: a person must decide.
            return (
                "escalated"
                if _escalate(
                    approval, run, now=now, why=f"{why} Privileged: never approved automatically."
                )
                else ""
            )
        if action == TimeoutAction.ESCALATE:
            if run.escalated:
                run.due_at = None
                run.save(update_fields=["due_at"])
                return ""
            return "escalated" if _escalate(approval, run, now=now, why=why) else ""
        if action == TimeoutAction.APPROVE:
            _auto_decide(approval, run, now=now, state=RequestState.APPROVED, why=why)
            return "approved"
        if action == TimeoutAction.REJECT:
            _auto_decide(approval, run, now=now, state=RequestState.REJECTED, why=why)
            return "rejected"
        run.due_at = None
        run.save(update_fields=["due_at"])
        return ""


def approval_sweep(*, now=None) -> dict[str, int]:
    """Send due reminders, and act on stages whose timeout has passed (escalate, or decide
    automatically). Run by the worker as the system; safe to run on several workers."""
    now = now or timezone.now()
    counts = {"reminders": _remind_due(now), "escalated": 0, "approved": 0, "rejected": 0}
    due = ApprovalStageRun.objects.filter(state=StageRunState.PENDING, due_at__lte=now)
    for run_id in list(due.values_list("pk", flat=True).order_by("due_at", "pk")):
        result = _time_out(run_id, now=now)
        if result:
            counts[result] += 1
    return counts


# --- delegation and configuration -----------------------------------------------------------
@transaction.atomic
def delegation_create(*, actor, delegator, delegate, starts_on, ends_on, reason: str = ""):
    """Send ``delegator``'s approvals to ``delegate`` from ``starts_on`` to ``ends_on``."""
    if actor is None or (actor.pk != getattr(delegator, "pk", None) and not is_admin(actor)):
        raise NotPermitted("You may delegate only your own approvals.")
    delegation = Delegation(
        delegator=delegator,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=(reason or "").strip(),
    )
    validate_or_fail(delegation)
    delegation.save()
    audit_record(
        action="delegation.created",
        obj=delegation,
        changes={"delegate": delegate.get_username(), "starts_on": starts_on, "ends_on": ends_on},
        actor=actor,
    )
    return delegation


@transaction.atomic
def delegation_end(*, actor, delegation: Delegation) -> Delegation:
    """End a delegation today (or remove it before it starts); audited."""
    if actor is None or (actor.pk != delegation.delegator_id and not is_admin(actor)):
        raise NotPermitted("You may end only your own delegations.")
    today = timezone.localdate()
    if delegation.starts_on > today:
        audit_record(action="delegation.removed", obj=delegation, changes={}, actor=actor)
        delegation.delete()
        return delegation
    delegation.ends_on = min(delegation.ends_on, today)
    delegation.save(update_fields=["ends_on"])
    audit_record(action="delegation.ended", obj=delegation, changes={"ends_on": today}, actor=actor)
    return delegation


STAGE_FIELDS = (
    "name",
    "condition",
    "rule",
    "required_count",
    "required_percent",
    "from_manager",
    "from_team",
    "from_ci_owner",
    "from_service_owner",
    "from_answer",
    "fallback_approver",
    "timeout_hours",
    "timeout_action",
    "reminder_hours",
)


def _write_stages(scheme: ApprovalScheme, stages: list[dict]) -> None:
    if not stages:
        raise ValidationFailed(
            "A scheme needs at least one stage.", fields={"stages": ["Add at least one stage."]}
        )
    if scheme.approvals.exists():
        # Runs point at the stages; a scheme in use keeps them and gets new ones only.
        raise ValidationFailed(
            "This scheme has been used; create a new scheme to change its stages.",
            fields={"stages": ["The scheme has approvals; its stages cannot be replaced."]},
        )
    scheme.stages.all().delete()
    fields: dict[str, list[str]] = {}
    for index, data in enumerate(stages):
        users = data.get("from_users") or []
        stage = ApprovalStage(
            scheme=scheme, position=index, **{k: data[k] for k in STAGE_FIELDS if k in data}
        )
        try:
            validate_or_fail(stage, exclude=["scheme"])
        except ValidationFailed as error:
            for name, messages in error.fields.items():
                fields[f"stages[{index}].{name}"] = messages
            continue
        stage.save()
        stage.from_users.set(users)
        if not stage.has_source:
            fields[f"stages[{index}].from_users"] = [
                "Say where the approvers come from (manager, team, people, owner or answer)."
            ]
    if fields:
        raise ValidationFailed(
            f"Please correct the stage: {next(iter(fields.values()))[0]}", fields=fields
        )


@transaction.atomic
def scheme_create(
    *, actor, name: str, description: str = "", active: bool = True, stages: list[dict]
) -> ApprovalScheme:
    """A new scheme with its stages, in the order given."""
    if not is_admin(actor):
        raise NotPermitted("Only administrators configure approval schemes.")
    scheme = ApprovalScheme(name=(name or "").strip(), description=description, active=active)
    validate_or_fail(scheme)
    scheme.save()
    _write_stages(scheme, stages)
    audit_record(
        action="approval_scheme.created",
        obj=scheme,
        changes={"name": scheme.name, "stages": len(stages)},
        actor=actor,
    )
    return scheme


@transaction.atomic
def scheme_update(
    *, actor, scheme: ApprovalScheme, data: dict, expected_version: int | None = None
) -> ApprovalScheme:
    """Change a scheme's name, description or active flag; ``stages`` replaces them all."""
    from opsdesk.core.errors import StaleVersion

    if not is_admin(actor):
        raise NotPermitted("Only administrators configure approval schemes.")
    scheme = ApprovalScheme.objects.select_for_update().get(pk=scheme.pk)
    if expected_version is not None and expected_version != scheme.version:
        raise StaleVersion("Someone changed this scheme meanwhile; reload and try again.")
    changes: dict[str, Any] = {}
    for name in ("name", "description", "active"):
        if name in data and data[name] != getattr(scheme, name):
            changes[name] = {"from": getattr(scheme, name), "to": data[name]}
            setattr(scheme, name, data[name])
    scheme.version += 1
    validate_or_fail(scheme)
    scheme.save()
    if "stages" in data:
        _write_stages(scheme, data["stages"])
        changes["stages"] = len(data["stages"])
    audit_record(action="approval_scheme.updated", obj=scheme, changes=changes, actor=actor)
    return scheme


@transaction.atomic
def scheme_delete(*, actor, scheme: ApprovalScheme) -> None:
    from opsdesk.core.errors import InUse

    if not is_admin(actor):
        raise NotPermitted("Only administrators configure approval schemes.")
    if scheme.approvals.exists():
        raise InUse("This scheme has approvals; deactivate it instead of deleting it.")
    audit_record(
        action="approval_scheme.deleted", obj=scheme, changes={"name": scheme.name}, actor=actor
    )
    scheme.delete()
