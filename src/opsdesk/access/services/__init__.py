"""Every write of access management: asking for access, approving it, granting and taking it
away, reaching the directories, joiners, movers and leavers, and segregation of duties.

A request is checked whole before anything is written (who may ask, for how long, the form,
conflicting duties), so a refusal leaves nothing behind. Approval outcomes, the start and end
of grants and the directories' answers move records by themselves, as the system. A grant is
marked provisioned only when its directory said yes; a directory that is down leaves the step
retrying with its reason shown.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.access.models import (
    RISK_ORDER,
    AccessPackage,
    AccessRequest,
    AccessRequestState,
    BirthrightRule,
    EndReason,
    Entitlement,
    Grant,
    GrantSource,
    GrantState,
    LifecycleEvent,
    LifecycleKind,
    Provisioning,
    ProvisioningStep,
    Risk,
    SodAction,
    SodViolation,
    StepAction,
    StepState,
    ViolationState,
)
from opsdesk.access.selectors import (
    HELD,
    Conflict,
    Window,
    active_rules,
    may_manage_access,
    may_request,
    sod_conflicts,
)
from opsdesk.access.workflow import GRANT_WORKFLOW
from opsdesk.approvals.conditions import plain_answer
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.formschema import answers_save, validate
from opsdesk.core.models import ApiToken, User
from opsdesk.core.outbox import backoff, outbox_publish, outbox_publish_many
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type

# After this many failed attempts (about a day with back-off) a step stops retrying by
# itself; it stays visible as failed and can be retried by hand.
MAX_ATTEMPTS = 30
EXPIRY_NOTICE = timedelta(days=7)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _name(user) -> str:
    return str(user) if user is not None else "the system"


# --- asking for access ------------------------------------------------------------------------
def _duration_limit(package: AccessPackage, entitlements: list[Entitlement]) -> int | None:
    limits = [
        d for d in [package.max_duration_days, *(e.max_duration_days for e in entitlements)] if d
    ]
    return min(limits) if limits else None


def _checked_window(
    package, entitlements, valid_from, valid_to, now
) -> tuple[datetime, datetime | None, dict]:
    fields: dict[str, list[str]] = {}
    start = valid_from or now
    if start < now - timedelta(minutes=5):
        fields["valid_from"] = ["Access cannot start in the past."]
    end = valid_to
    if end is None and package.default_duration_days:
        end = start + timedelta(days=package.default_duration_days)
    limit = _duration_limit(package, entitlements)
    if end is None and limit:
        end = start + timedelta(days=limit)
    if end is not None and end <= start:
        fields["valid_to"] = ["The end must be after the start."]
    elif end is not None and limit and end - start > timedelta(days=limit, minutes=1):
        fields["valid_to"] = [f"This access may be held for at most {limit} days."]
    return start, end, fields


def request_check(
    *, actor, package: AccessPackage, requested_for=None, valid_from=None, valid_to=None
) -> list[Conflict]:
    """The conflicting duties the request would create: shown before submitting. Only for
    someone the actor may ask for (what a stranger holds is not theirs to learn)."""
    person = requested_for_checked(actor, requested_for)
    now = timezone.now()
    entitlements = list(package.entitlements.filter(active=True))
    start, end, _ = _checked_window(package, entitlements, valid_from, valid_to, now)
    return sod_conflicts(person, {e.pk for e in entitlements}, Window(start, end))


def requested_for_checked(actor, requested_for) -> User:
    """Whom the actor may ask access for: themselves, the people they manage, or anyone when
    they are the desk."""
    if requested_for is None or requested_for == actor:
        return actor
    if is_agent(actor) or requested_for.manager_id == actor.pk:
        return requested_for
    raise NotPermitted("You may ask for access for yourself or for the people you manage.")


def approval_answers(
    request: AccessRequest, entitlements: list[Entitlement], answers: dict
) -> dict:
    """What approval stage conditions read: the risk, whether duties conflict, the owners."""
    risk = max((RISK_ORDER.index(Risk(e.risk)) for e in entitlements), default=0)
    return {
        **{k: plain_answer(v) for k, v in answers.items()},
        "risk": str(RISK_ORDER[risk]),
        "privileged": any(e.privileged for e in entitlements),
        "sod_conflict": bool(request.sod_conflicts),
        "entitlement_owners": sorted({e.owner_id for e in entitlements}),
        "package": request.package.slug,
        "days": (request.valid_to - request.valid_from).days if request.valid_to else None,
    }


@transaction.atomic
def access_request_submit(
    *,
    actor,
    package: AccessPackage,
    requested_for=None,
    justification: str = "",
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    answers=None,
    answers_prefix: str = "",
    sod_exception: str = "",
    sod_exception_until=None,
    channel_label: str = "",
) -> AccessRequest:
    """Ask for ``package`` for ``requested_for`` (the actor by default).

    Refused whole, with field messages, when the person may not ask for it, the window is
    wrong, a justification or form answer is missing, or a segregation-of-duties rule blocks
    it; a rule that asks an extra approval needs the exception stated.
    """
    if actor is None or not actor.is_authenticated:
        raise NotPermitted("Sign in to ask for access.")
    person = requested_for_checked(actor, requested_for)
    if not may_request(package, person):
        raise NotPermitted(f"{package.name} is not something {_name(person)} may ask for.")
    now = timezone.now()
    entitlements = list(package.entitlements.filter(active=True).select_related("owner_team"))
    fields: dict[str, list[str]] = {}
    if not entitlements:
        fields["package"] = [f"{package.name} grants nothing at the moment."]
    start, end, window_fields = _checked_window(package, entitlements, valid_from, valid_to, now)
    fields.update(window_fields)
    justification = (justification or "").strip()
    if not justification and any(e.needs_justification for e in entitlements):
        fields["justification"] = ["Say why you need this access."]
    cleaned: dict = {}
    if package.form_id is not None:
        cleaned, form_fields = validate(
            package.form, answers or {}, user=actor, prefix=answers_prefix
        )
        fields.update(form_fields)
    # Access already held: asking again extends it, where the package allows.
    held = list(Grant.objects.filter(holder=person, entitlement__in=entitlements, state__in=HELD))
    if held and len({g.entitlement_id for g in held}) == len(entitlements):
        if not package.extension_allowed:
            fields["package"] = [f"{_name(person)} already holds {package.name}."]
        elif all(g.valid_to is None for g in held):
            fields["package"] = [f"{_name(person)} already holds {package.name}, with no end."]
    conflicts = (
        sod_conflicts(
            person,
            {e.pk for e in entitlements},
            Window(start, end),
            exclude_grant_ids=frozenset(g.pk for g in held),
        )
        if not fields
        else []
    )
    blocking = [c for c in conflicts if c.blocks]
    if blocking:
        fields["__all__"] = [c.message() for c in blocking]
    extra = [c for c in conflicts if c.action == SodAction.EXTRA_APPROVAL]
    sod_exception = (sod_exception or "").strip()
    if extra and not sod_exception:
        fields["sod_exception"] = [
            "This access conflicts with what is already held; state why an exception is needed."
        ]
    if extra and (package.approval_scheme_id is None):
        fields.setdefault("__all__", []).append(
            f"{package.name} has no approval scheme to ask the exception of."
        )
    if fields:
        message = next(iter(fields.values()))[0]
        raise ValidationFailed(message, fields=fields)
    summary = package.name if person == actor else f"{package.name} for {_name(person)}"
    request = tickets.ticket_create(
        ticket_type("access_request"),
        actor=actor,
        values={
            "short_description": summary[:200],
            "description": justification,
            "caller": actor,
            "requested_for": person,
            "assignment_group": entitlements[0].owner_team,
            "package": package,
            "justification": justification,
            "valid_from": start,
            "valid_to": end,
            "sod_conflicts": [c.as_data() for c in conflicts],
            "sod_exception": sod_exception,
            "sod_exception_until": sod_exception_until,
            "confidential": any(e.privileged for e in entitlements),
        },
        channel_label=channel_label,
    )
    if held and package.extension_allowed:
        request.extends.set(held)
    if package.form_id is not None:
        answers_save(record=request, schema=package.form, cleaned=cleaned, actor=actor)
    tickets.ticket_publish(request, "opened", actor=actor, package=package.name)
    if package.approval_scheme_id is not None:
        from opsdesk.approvals.services import approval_start

        request = _system_move(request, "request_approval")
        assert package.approval_scheme is not None
        approval_start(
            subject=request,
            scheme=package.approval_scheme,
            answers=approval_answers(request, entitlements, cleaned),
            requested_for=person,
            actor=actor,
            privileged=any(e.privileged for e in entitlements),
            service=entitlements[0].application,
        )
    else:
        request = _approved(request, approvers=[])
    return request


def _system_move(record, action: str, **kwargs):
    current = tickets.locked(record)
    return tickets.ticket_transition_step(current, action, actor=None, now=timezone.now(), **kwargs)


def approval_outcome(*, subject, approval, outcome: str, actor) -> None:
    """The approval engine's answer for an access request, in the deciding transaction."""
    if outcome == "approved":
        names = [
            _name(r.decided_by or r.approver)
            for run in approval.runs.all()
            for r in run.requests.filter(state="approved").select_related("decided_by", "approver")
        ]
        _approved(subject, approvers=names)
    else:
        _system_move(subject, "reject", reason=approval.reason or "Rejected.")


def _approved(request: AccessRequest, *, approvers: list[str]) -> AccessRequest:
    request = _system_move(request, "approve")
    person = request.requested_for or request.caller
    extended = {g.entitlement_id: g for g in request.extends.filter(state__in=HELD)}
    for entitlement in request.package.entitlements.filter(active=True):
        if entitlement.pk in extended:
            _grant_extend(extended[entitlement.pk], request=request, approvers=approvers)
            continue
        _grant_write(
            actor=None,
            holder=person,
            entitlement=entitlement,
            source=GrantSource.REQUEST,
            valid_from=request.valid_from,
            valid_to=request.valid_to,
            request=request,
            reason=request.justification,
            approved_by=approvers,
            sod_exception=request.sod_exception,
            sod_exception_until=request.sod_exception_until,
            found_by="request",
        )
    return request_follow_grants(request)


def _grant_extend(grant: Grant, *, request: AccessRequest, approvers: list[str]) -> Grant:
    """Held access lasts longer: the grant stays, its end moves (nothing to provision)."""
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    old_end = grant.valid_to
    new_end = request.valid_to
    if new_end is not None and old_end is not None and new_end <= old_end:
        return grant  # the request asked for less than is held: nothing to extend
    Grant.objects.filter(pk=grant.pk).update(
        valid_to=new_end,
        expiry_notice_sent_at=None,
        approved_by=[*grant.approved_by, *approvers],
        version=grant.version + 1,
    )
    audit_record(
        action="access.extended",
        obj=grant,
        actor=None,
        changes={"valid_to": {"from": old_end, "to": new_end}, "request": request.number},
    )
    outbox_publish(
        topic="access.grant_extended",
        payload=_grant_fact(grant, valid_to=new_end, request=request.number),
    )
    return grant


def request_follow_grants(request: AccessRequest) -> AccessRequest:
    """A request is granted once every grant it made reached its directory (or was ended)."""
    current = tickets.locked(request)
    if current.state != AccessRequestState.PROVISIONING:
        return current
    grants = list(current.grants.all())
    settled = all(
        g.provisioning == Provisioning.PROVISIONED or g.state == GrantState.ENDED for g in grants
    )
    if (grants or current.extends.exists()) and settled:
        return tickets.ticket_transition_step(current, "grant", actor=None, now=timezone.now())
    return current


@transaction.atomic
def access_request_cancel(*, actor, request: AccessRequest, reason: str) -> AccessRequest:
    tickets.require_visible(actor, request)
    current = tickets.locked(request)
    from opsdesk.approvals.models import Approval
    from opsdesk.approvals.services import approval_cancel

    for approval in Approval.objects.filter(subject_id=current.pk, state="pending"):
        if approval.subject_type.model_class() is AccessRequest:
            approval_cancel(approval=approval, actor=actor, reason=reason)
    current = tickets.ticket_transition_step(
        current, "cancel", actor=actor, now=timezone.now(), reason=reason
    )
    for grant in current.grants.filter(state__in=HELD):
        _grant_end(grant, actor=actor, reason=EndReason.REVOKED, why=reason, batch="")
    return current


# --- grants -----------------------------------------------------------------------------------
def _check_grant_window(valid_from, valid_to) -> None:
    if valid_to is not None and valid_to <= valid_from:
        raise ValidationFailed(
            "The end must be after the start.",
            fields={"valid_to": ["The end must be after the start."]},
        )


@transaction.atomic
def grant_create(
    *,
    actor,
    holder: User,
    entitlement: Entitlement,
    source: str,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    reason: str = "",
    already_provisioned: bool = False,
) -> Grant:
    """Grant directly (a rule, a birthright, an administrator, a migration from the directory).

    Segregation-of-duties rules apply as for requests: a blocking rule refuses the grant; any
    other conflict is recorded as a violation to resolve.
    """
    if source in (GrantSource.REQUEST,):
        raise ValidationFailed(
            "Requests grant through approval.", fields={"source": ["Pick another source."]}
        )
    if actor is not None and not may_manage_access(actor):
        raise NotPermitted("Only access managers grant access directly.")
    return _grant_write(
        actor=actor,
        holder=holder,
        entitlement=entitlement,
        source=source,
        valid_from=valid_from or timezone.now(),
        valid_to=valid_to,
        reason=reason,
        already_provisioned=already_provisioned,
        found_by="grant",
    )


def _grant_write(
    *,
    actor,
    holder,
    entitlement,
    source,
    valid_from,
    valid_to,
    request=None,
    reason="",
    approved_by=(),
    already_provisioned=False,
    sod_exception="",
    sod_exception_until=None,
    found_by="grant",
) -> Grant:
    _check_grant_window(valid_from, valid_to)
    now = timezone.now()
    conflicts = sod_conflicts(holder, {entitlement.pk}, Window(valid_from, valid_to))
    # What a directory already holds is recorded as it is; the conflict shows as a violation.
    recorded = source in (GrantSource.MIGRATION, GrantSource.RECONCILIATION)
    blocking = [c for c in conflicts if c.blocks and not recorded]
    if blocking and request is None:
        raise ValidationFailed(
            blocking[0].message(), fields={"entitlement": [c.message() for c in blocking]}
        )
    starts_now = valid_from <= now
    grant = Grant.objects.create(
        holder=holder,
        entitlement=entitlement,
        state=GrantState.ACTIVE if starts_now else GrantState.SCHEDULED,
        source=source,
        request=request,
        reason=reason,
        valid_from=valid_from,
        valid_to=valid_to,
        approved_by=list(approved_by),
        granted_by=actor,
        started_at=now if starts_now else None,
        provisioning=Provisioning.PROVISIONED if already_provisioned else Provisioning.NONE,
        provisioned_at=now if already_provisioned else None,
    )
    audit_record(
        action="access.granted",
        obj=grant,
        actor=actor,
        changes={
            "holder": holder.username,
            "entitlement": str(entitlement),
            "source": source,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "request": request.number if request else "",
        },
    )
    for conflict in conflicts:
        _violation_record(
            conflict,
            person=holder,
            grant_ids=[*conflict.grant_ids, grant.pk],
            found_by=found_by,
            exception=sod_exception,
            exception_until=sod_exception_until,
            now=now,
        )
    facts = [("access.grant_created", _grant_fact(grant))]
    if starts_now and not already_provisioned:
        _provision(grant, StepAction.ADD, batch="", now=now)
    outbox_publish_many(facts)
    return grant


def _grant_fact(grant: Grant, **extra) -> dict:
    return {
        "grant_id": grant.pk,
        "holder_id": grant.holder_id,
        "entitlement_id": grant.entitlement_id,
        "entitlement": str(grant.entitlement),
        "valid_to": grant.valid_to,
        **extra,
    }


def _grant_move(grant: Grant, action: str, **values) -> Grant:
    GRANT_WORKFLOW.check(grant, action)
    values["version"] = grant.version + 1
    for key, value in values.items():
        setattr(grant, key, value)
    grant.state = GRANT_WORKFLOW.transition(action).target
    grant.save(update_fields=[*values, "state", "updated_at"])
    return grant


def _grant_end(grant: Grant, *, actor, reason: str, why: str = "", batch: str, now=None) -> bool:
    """End ``grant`` and take it out of its directory; False when it had already ended."""
    now = _now(now)
    # The audit entry names the holder and the entitlement: fetched with the grant.
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("holder", "entitlement__application", "entitlement__target")
        .get(pk=grant.pk)
    )
    if grant.state == GrantState.ENDED:
        return False
    was_scheduled = grant.state == GrantState.SCHEDULED
    _grant_move(grant, "end", ended_at=now, end_reason=reason, ended_by=actor)
    audit_record(
        action="access.ended",
        obj=grant,
        actor=actor,
        changes={"reason": reason, "why": why, "batch": batch},
    )
    # Adds that never ran need not run now; anything that may have reached the directory is
    # taken out (removal is idempotent, so an add that failed is harmless to remove).
    open_adds = grant.steps.filter(
        action=StepAction.ADD, state__in=(StepState.PENDING, StepState.RETRYING, StepState.MANUAL)
    )
    never_reached = (
        was_scheduled
        or grant.provisioning == Provisioning.NONE
        or (
            grant.provisioning != Provisioning.PROVISIONED
            and not grant.steps.filter(action=StepAction.ADD).exclude(attempts=0).exists()
            and grant.entitlement.target_id is not None
        )
    )
    open_adds.update(state=StepState.CANCELLED, done_at=now)
    if never_reached:
        _grant_provisioning(grant, Provisioning.DEPROVISIONED, now=now)
    else:
        _provision(grant, StepAction.REMOVE, batch=batch, now=now)
    outbox_publish(topic="access.grant_ended", payload=_grant_fact(grant, reason=reason))
    return True


@transaction.atomic
def grant_revoke(*, actor, grant: Grant, reason: str) -> Grant:
    """Take access away now. Revoking what has already ended does nothing again."""
    if actor is not None and not (
        may_manage_access(actor) or grant.entitlement.owner_id == actor.pk
    ):
        raise NotPermitted("Only the entitlement's owner or an access manager may revoke it.")
    if not (reason or "").strip():
        raise ValidationFailed("Give a reason.", fields={"reason": ["Give a reason."]})
    _grant_end(grant, actor=actor, reason=EndReason.REVOKED, why=reason.strip(), batch="")
    grant.refresh_from_db()
    return grant


def _grant_provisioning(grant: Grant, state: str, *, now, error: str = "") -> None:
    values: dict = {"provisioning": state, "provisioning_error": error}
    if state == Provisioning.PROVISIONED:
        values["provisioned_at"] = now
    if state == Provisioning.DEPROVISIONED:
        values["deprovisioned_at"] = now
    Grant.objects.filter(pk=grant.pk).update(**values)
    for key, value in values.items():
        setattr(grant, key, value)


@transaction.atomic
def grants_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Start grants whose time came, end those whose time is up, warn before expiry."""
    now = _now(now)
    started = ended = warned = 0
    due = Grant.objects.filter(state=GrantState.SCHEDULED, valid_from__lte=now).select_related(
        "entitlement"
    )
    for grant in due.select_for_update(skip_locked=True)[:1000]:
        _grant_move(grant, "start", started_at=now)
        audit_record(action="access.started", obj=grant, actor=None, changes={})
        _provision(grant, StepAction.ADD, batch="", now=now)
        outbox_publish(topic="access.grant_started", payload=_grant_fact(grant))
        started += 1
    expired = Grant.objects.filter(state__in=HELD, valid_to__lte=now)
    for grant in expired.select_for_update(skip_locked=True)[:1000]:
        ended += _grant_end(grant, actor=None, reason=EndReason.EXPIRED, batch="", now=now)
    expiring = Grant.objects.filter(
        state=GrantState.ACTIVE,
        valid_to__gt=now,
        valid_to__lte=now + EXPIRY_NOTICE,
        expiry_notice_sent_at__isnull=True,
    ).select_related("entitlement", "request__package")
    facts = []
    for grant in expiring[:1000]:
        package = grant.request.package if grant.request is not None else None
        facts.append(
            (
                "access.grant_expiring",
                _grant_fact(
                    grant,
                    owner_id=grant.entitlement.owner_id,
                    extension_allowed=bool(package and package.extension_allowed),
                    package=package.slug if package else "",
                ),
            )
        )
        warned += 1
    Grant.objects.filter(pk__in=[f[1]["grant_id"] for f in facts]).update(expiry_notice_sent_at=now)
    outbox_publish_many(facts)
    return {"started": started, "ended": ended, "warned": warned}


# --- provisioning -----------------------------------------------------------------------------
def _provision(grant: Grant, action: str, *, batch: str, now) -> ProvisioningStep:
    target = grant.entitlement.target if grant.entitlement.target_id else None
    step = ProvisioningStep.objects.create(
        grant=grant,
        person_id=grant.holder_id,
        target=target,
        action=action,
        state=StepState.PENDING if target is not None else StepState.MANUAL,
        next_attempt_at=now,
        created_at=now,
        batch=batch,
    )
    _grant_provisioning(
        grant,
        Provisioning.PENDING if action == StepAction.ADD else Provisioning.DEPROVISIONING,
        now=now,
    )
    if grant.entitlement.opsdesk_role:
        # One of opsdesk's own roles: written here and now, in this transaction.
        _role_apply(grant, add=action == StepAction.ADD)
        step.state = StepState.PENDING
        _step_done(step, now=now)
    elif target is not None:
        # The worker runs it right after this commits; the sweep retries it if that fails. A
        # batch's steps (a leaver, a review applied) are run together: see _batch_due.
        if not batch:
            outbox_publish(topic="access.provisioning_due", payload={"step_id": step.pk})
    else:
        outbox_publish(
            topic="access.manual_step",
            payload={
                "step_id": step.pk,
                "team_id": grant.entitlement.owner_team_id,
                "action": action,
                "entitlement": str(grant.entitlement),
                "person": str(grant.holder),
            },
        )
    return step


def _step_done(step: ProvisioningStep, *, now, actor=None) -> None:
    step.state = StepState.DONE
    step.done_at = now
    step.last_error = ""
    step.done_by = actor
    step.save(update_fields=["state", "done_at", "last_error", "done_by", "attempts"])
    grant = step.grant
    if grant is None:
        return
    if step.action == StepAction.ADD:
        if grant.state == GrantState.ENDED:
            return
        _grant_provisioning(grant, Provisioning.PROVISIONED, now=now)
        audit_record(action="access.provisioned", obj=grant, actor=actor, changes={"step": step.pk})
        if grant.request is not None:
            request_follow_grants(grant.request)
    elif step.action == StepAction.REMOVE:
        _grant_provisioning(grant, Provisioning.DEPROVISIONED, now=now)
        audit_record(
            action="access.deprovisioned", obj=grant, actor=actor, changes={"step": step.pk}
        )


def _step_call(step: ProvisioningStep, connectors: dict) -> None:
    from opsdesk.access.connectors import connector_for

    connector = connectors.get(step.target_id)
    if connector is None:
        connector = connectors[step.target_id] = connector_for(step.target)
    if step.action == StepAction.DISABLE_ACCOUNT:
        connector.disable_account(person=step.person)
        return
    assert step.grant is not None
    group = step.grant.entitlement.external_id
    if step.action == StepAction.ADD:
        connector.add_member(group=group, person=step.person)
    else:
        connector.remove_member(group=group, person=step.person)


def _close(connectors: dict) -> None:
    for connector in connectors.values():
        close = getattr(connector, "close", None)
        if close is not None:
            close()


def provisioning_run(
    *, step_id: int, now: datetime | None = None, connectors: dict | None = None
) -> ProvisioningStep | None:
    """Write one step to its target; a failure is kept with its reason and retried later.

    ``connectors`` (target id -> connector) lets a batch reuse one connection per target.
    """
    if connectors is not None:
        return _run_step(step_id=step_id, now=now, connectors=connectors)
    own: dict = {}
    try:
        return _run_step(step_id=step_id, now=now, connectors=own)
    finally:
        _close(own)


def provisioning_run_batch(*, batch: str, now: datetime | None = None) -> int:
    """Every waiting step of a batch, each in its own transaction, one connection per
    target for all of them."""
    ids = list(
        ProvisioningStep.objects.filter(
            batch=batch, state__in=(StepState.PENDING, StepState.RETRYING)
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    connectors: dict = {}
    try:
        for step_id in ids:
            provisioning_run(step_id=step_id, now=now, connectors=connectors)
    finally:
        _close(connectors)
    return len(ids)


def _batch_due(batch: str) -> None:
    outbox_publish(topic="access.batch_due", payload={"batch": batch})


@transaction.atomic
def _run_step(*, step_id: int, now: datetime | None, connectors: dict) -> ProvisioningStep | None:
    from opsdesk.access.connectors import ConnectorError

    now = _now(now)
    step = (
        ProvisioningStep.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("grant__entitlement__application", "grant__holder", "target", "person")
        .filter(pk=step_id, state__in=(StepState.PENDING, StepState.RETRYING))
        .first()
    )
    if step is None:
        return None
    step.attempts += 1
    try:
        _step_call(step, connectors)
    except ConnectorError as exc:
        reason = str(exc)[:2000]
        step.last_error = reason
        step.state = StepState.FAILED if step.attempts >= MAX_ATTEMPTS else StepState.RETRYING
        step.next_attempt_at = now + backoff(step.attempts)
        step.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
        if step.grant is not None:
            _grant_provisioning(step.grant, Provisioning.FAILED, now=now, error=reason)
        return step
    _step_done(step, now=now)
    _batch_progress(step)
    return step


def _batch_progress(step: ProvisioningStep) -> None:
    """The last step of a batch done: the batch is told as done (its start is in the audit)."""
    if step.batch and not (
        ProvisioningStep.objects.filter(batch=step.batch)
        .exclude(state__in=(StepState.DONE, StepState.CANCELLED))
        .exists()
    ):
        outbox_publish(topic="access.batch_done", payload={"batch": step.batch})


def provisioning_run_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Every step whose time has come, each in its own transaction."""
    now = _now(now)
    ids = list(
        ProvisioningStep.objects.filter(
            state__in=(StepState.PENDING, StepState.RETRYING), next_attempt_at__lte=now
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for step_id in ids:
        provisioning_run(step_id=step_id, now=now)
    return len(ids)


@transaction.atomic
def provisioning_retry(*, actor, step: ProvisioningStep) -> ProvisioningStep:
    """Try a failed step again now."""
    if not may_manage_access(actor):
        raise NotPermitted("Only access managers retry provisioning.")
    if step.state not in (StepState.FAILED, StepState.RETRYING):
        raise TransitionRefused("Only a failed step can be retried.")
    step.state = StepState.PENDING
    step.next_attempt_at = timezone.now()
    step.save(update_fields=["state", "next_attempt_at"])
    audit_record(action="access.provisioning_retried", obj=step, actor=actor, changes={})
    outbox_publish(topic="access.provisioning_due", payload={"step_id": step.pk})
    return step


@transaction.atomic
def manual_step_done(*, actor, step: ProvisioningStep, note: str = "") -> ProvisioningStep:
    """The owner team did by hand what no connector could."""
    step = ProvisioningStep.objects.select_for_update().get(pk=step.pk)
    team = step.grant.entitlement.owner_team if step.grant else None
    if not (
        may_manage_access(actor) or (team is not None and team.members.filter(pk=actor.pk).exists())
    ):
        raise NotPermitted("Only the entitlement's owner team marks this done.")
    if step.state != StepState.MANUAL:
        raise TransitionRefused("This step is not waiting for anyone.")
    now = timezone.now()
    _step_done(step, now=now, actor=actor)
    audit_record(action="access.manual_step_done", obj=step, actor=actor, changes={"note": note})
    _batch_progress(step)
    return step


# --- segregation of duties --------------------------------------------------------------------
def _violation_record(conflict, *, person, grant_ids, found_by, exception, exception_until, now):
    excepted = conflict.action == SodAction.EXTRA_APPROVAL and bool(exception)
    violation, created = SodViolation.objects.get_or_create(
        rule=conflict.rule,
        person=person,
        state=ViolationState.OPEN,
        defaults={"found_at": now, "found_by": found_by},
    )
    if excepted:
        violation.state = ViolationState.EXCEPTED
        violation.exception = exception
        violation.exception_until = exception_until
        violation.save(update_fields=["state", "exception", "exception_until", "updated_at"])
    violation.grants.add(*grant_ids)
    if created:
        audit_record(
            action="access.sod_violation_found",
            obj=violation,
            actor=None,
            changes={"rule": conflict.rule.name, "person": person.username, "found_by": found_by},
        )
        outbox_publish(
            topic="access.sod_violation",
            payload={
                "violation_id": violation.pk,
                "rule": conflict.rule.name,
                "person_id": person.pk,
            },
        )
    return violation


def sod_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Find everyone holding both sides of a rule at once; resolve violations that ended.

    Per rule, the people holding any entitlement of each side come from two indexed queries;
    only people on both lists have their windows compared, so the scan reads grants once
    per rule side, not once per pair of people.
    """
    now = _now(now)
    found = resolved = 0
    for rule, left, right in active_rules():
        left_people = _holders(left)
        right_people = _holders(right)
        both = left_people.keys() & right_people.keys()
        conflicting: set[int] = set()
        for person_id in both:
            grants = left_people[person_id] + [
                g for g in right_people[person_id] if g not in left_people[person_id]
            ]
            if _rule_holds(rule, left, right, grants):
                conflicting.add(person_id)
        # Open and excepted violations are both standing: neither is found again.
        open_rows = dict(
            SodViolation.objects.filter(
                rule=rule, state__in=(ViolationState.OPEN, ViolationState.EXCEPTED)
            ).values_list("person_id", "pk")
        )
        new = conflicting - open_rows.keys()
        people = User.objects.in_bulk(list(new))
        with transaction.atomic():
            for person_id in new:
                grants = left_people[person_id] + right_people[person_id]
                conflict = Conflict(rule=rule, grant_ids=[g[0] for g in grants])
                _violation_record(
                    conflict,
                    person=people[person_id],
                    grant_ids=conflict.grant_ids,
                    found_by="scan",
                    exception="",
                    exception_until=None,
                    now=now,
                )
            gone = [pk for person_id, pk in open_rows.items() if person_id not in conflicting]
            SodViolation.objects.filter(pk__in=gone).update(
                state=ViolationState.RESOLVED, resolved_at=now
            )
        found += len(new)
        resolved += len(gone)
    return {"found": found, "resolved": resolved}


@transaction.atomic
def sod_exceptions_expire(*, now: datetime | None = None) -> int:
    """An exception granted until a date stops covering the conflict after it: the
    violation is open again, for its owner to resolve or except anew."""
    today = timezone.localdate(_now(now))
    expired = list(
        SodViolation.objects.filter(
            state=ViolationState.EXCEPTED, exception_until__lt=today
        ).select_related("rule", "person")
    )
    for violation in expired:
        if SodViolation.objects.filter(
            rule=violation.rule, person=violation.person, state=ViolationState.OPEN
        ).exists():
            continue
        SodViolation.objects.filter(pk=violation.pk).update(state=ViolationState.OPEN)
        audit_record(
            action="access.sod_exception_expired",
            obj=violation,
            actor=None,
            changes={"rule": violation.rule.name, "until": violation.exception_until},
        )
        outbox_publish(
            topic="access.sod_violation",
            payload={
                "violation_id": violation.pk,
                "rule": violation.rule.name,
                "person_id": violation.person_id,
            },
        )
    return len(expired)


def _holders(entitlement_ids: set[int]) -> dict[int, list[tuple]]:
    rows = Grant.objects.filter(entitlement_id__in=entitlement_ids, state__in=HELD).values_list(
        "pk", "holder_id", "entitlement_id", "valid_from", "valid_to"
    )
    by_person: dict[int, list[tuple]] = {}
    for row in rows.iterator(chunk_size=5000):
        by_person.setdefault(row[1], []).append(row)
    return by_person


def _rule_holds(rule, left: set[int], right: set[int], grants: list[tuple]) -> bool:
    """Some moment when the person holds enough of both sides: checked at each grant's start."""
    for _, _, _, start, _ in grants:
        holding = {g[2] for g in grants if g[3] <= start and (g[4] is None or g[4] > start)}
        left_met = left <= holding if rule.left_match == "all" else bool(left & holding)
        right_met = right <= holding if rule.right_match == "all" else bool(right & holding)
        if left_met and right_met:
            return True
    return False


# --- joiners, movers, leavers -----------------------------------------------------------------
@transaction.atomic
def person_changed(
    *, actor, person: User, before: dict | None, source: str
) -> list[LifecycleEvent]:
    """Note a joiner, mover or leaver from a change to ``person`` (``before``: the fields as
    they were, None for someone new) and act on what is due now."""
    now = timezone.now()
    events: list[LifecycleEvent] = []

    def note(kind, effective_at, details):
        event = LifecycleEvent.objects.create(
            person=person,
            kind=kind,
            effective_at=effective_at,
            source=source,
            details=details,
            created_at=now,
        )
        audit_record(
            action=f"access.{kind}",
            obj=person,
            actor=actor,
            changes={"effective_at": effective_at, "source": source, **details},
        )
        events.append(event)

    def day_start(day):
        return timezone.make_aware(datetime.combine(day, datetime.min.time()))

    if before is None:
        # Someone the desk only knows from a mail is not a joiner: staff have a department or
        # a start date.
        if person.department or person.starts_on:
            start = day_start(person.starts_on) if person.starts_on else now
            note(LifecycleKind.JOINER, start, {"department": person.department})
    else:
        if before.get("is_active", True) and not person.is_active:
            note(LifecycleKind.LEAVER, now, {"why": "deactivated"})
        elif person.leaves_on and person.leaves_on != before.get("leaves_on"):
            LifecycleEvent.objects.filter(
                person=person, kind=LifecycleKind.LEAVER, processed_at__isnull=True
            ).delete()
            # Access ends at the end of the last working day.
            note(
                LifecycleKind.LEAVER,
                day_start(person.leaves_on) + timedelta(days=1),
                {"leaves_on": person.leaves_on.isoformat()},
            )
        moved = "department" in before and before["department"] != person.department
        if person.is_active and moved:
            note(
                LifecycleKind.MOVER,
                now,
                {
                    "from_department": before.get("department", ""),
                    "to_department": person.department,
                },
            )
    lifecycle_process_due(now=now, person=person)
    return events


def lifecycle_process_due(*, now: datetime | None = None, person=None) -> int:
    now = _now(now)
    due = LifecycleEvent.objects.filter(processed_at__isnull=True, effective_at__lte=now)
    if person is not None:
        due = due.filter(person=person)
    done = 0
    for event in due.select_related("person").order_by("effective_at", "id")[:500]:
        with transaction.atomic():
            event = LifecycleEvent.objects.select_for_update().get(pk=event.pk)
            if event.processed_at is not None:
                continue
            if event.kind == LifecycleKind.LEAVER:
                event.batch = _leave(event.person, now=now)
            elif event.kind == LifecycleKind.JOINER:
                _birthrights(event.person, now=now)
            else:
                _move(event.person, event.details, now=now)
            event.processed_at = now
            event.save(update_fields=["processed_at", "batch"])
            done += 1
    return done


def _birthrights(person: User, *, now) -> list[Grant]:
    rules = BirthrightRule.objects.filter(active=True).filter(
        Q(department="") | Q(department=person.department)
    )
    held = set(
        Grant.objects.filter(holder=person, state__in=HELD).values_list("entitlement_id", flat=True)
    )
    made = []
    for rule in rules.prefetch_related("entitlements"):
        for entitlement in rule.entitlements.filter(active=True):
            if entitlement.pk in held:
                continue
            held.add(entitlement.pk)
            try:
                made.append(
                    _grant_write(
                        actor=None,
                        holder=person,
                        entitlement=entitlement,
                        source=GrantSource.BIRTHRIGHT,
                        valid_from=now,
                        valid_to=None,
                        reason=f"Birthright: {rule.name}",
                        found_by="grant",
                    )
                )
            except ValidationFailed:
                continue  # a blocking rule wins over a birthright; the scan reports nothing
    return made


def _move(person: User, details: dict, *, now) -> None:
    """Birthrights of the old department end, the new department's start, and whatever else
    the person holds goes to their manager to confirm."""
    old = details.get("from_department", "")
    new_rules = BirthrightRule.objects.filter(active=True).filter(
        Q(department="") | Q(department=person.department)
    )
    keep = {e for rule in new_rules for e in rule.entitlements.values_list("pk", flat=True)}
    for grant in Grant.objects.filter(holder=person, state__in=HELD, source=GrantSource.BIRTHRIGHT):
        if grant.entitlement_id not in keep:
            _grant_end(
                grant, actor=None, reason=EndReason.REVOKED, why=f"Moved from {old}", batch=""
            )
    _birthrights(person, now=now)
    others = Grant.objects.filter(holder=person, state__in=HELD).exclude(
        source=GrantSource.BIRTHRIGHT
    )
    if others.exists():
        from opsdesk.access.services.reviews import mover_review

        mover_review(person=person, grants=list(others), now=now)


def _leave(person: User, *, now) -> str:
    """Everything the person holds ends in one batch; accounts are disabled in every target
    they were known to; their opsdesk sessions and tokens end."""
    batch = f"leaver-{person.pk}-{uuid.uuid4().hex[:8]}"
    grants = list(Grant.objects.filter(holder=person, state__in=HELD).select_related("entitlement"))
    targets = {g.entitlement.target_id for g in grants if g.entitlement.target_id}
    for grant in grants:
        _grant_end(grant, actor=None, reason=EndReason.LEAVER, batch=batch, now=now)
    from opsdesk.access.models import ProvisioningTarget, TargetKind

    for target in ProvisioningTarget.objects.filter(
        pk__in=targets, kind=TargetKind.SCIM, active=True
    ):
        ProvisioningStep.objects.create(
            person=person,
            target=target,
            action=StepAction.DISABLE_ACCOUNT,
            next_attempt_at=now,
            created_at=now,
            batch=batch,
        )
    _batch_due(batch)
    tokens = ApiToken.objects.filter(user=person, revoked_at__isnull=True).update(revoked_at=now)
    sessions = _end_sessions(person)
    if person.is_active:
        User.objects.filter(pk=person.pk).update(is_active=False)
        person.is_active = False
    audit_record(
        action="access.leaver_processed",
        obj=person,
        actor=None,
        changes={"batch": batch, "grants": len(grants), "tokens": tokens, "sessions": sessions},
    )
    outbox_publish(
        topic="access.leaver_processed",
        payload={"person_id": person.pk, "batch": batch, "grants": len(grants)},
    )
    return batch


def _end_sessions(person: User) -> int:
    """Delete the person's signed-in sessions (database sessions; others end at their next
    request, because inactive people are not let in)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(person.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def person_leave_now(*, actor, person: User, why: str = "") -> LifecycleEvent:
    """An administrator processes a leaver at once (the demo's leaver, a dismissal)."""
    if not may_manage_access(actor):
        raise NotPermitted("Only access managers process leavers.")
    if person == actor:
        raise NotPermitted("You cannot process yourself as a leaver.")
    if not person.is_active and not Grant.objects.filter(holder=person, state__in=HELD).exists():
        raise TransitionRefused(f"{person} has already left and holds nothing.")
    now = timezone.now()
    event = LifecycleEvent.objects.create(
        person=person,
        kind=LifecycleKind.LEAVER,
        effective_at=now,
        source="user record",
        details={"why": why},
        created_at=now,
    )
    audit_record(action="access.leaver", obj=person, actor=actor, changes={"why": why})
    lifecycle_process_due(now=now, person=person)
    event.refresh_from_db()
    return event


# --- reconciliation and import ----------------------------------------------------------------
def _require_manager(actor) -> None:
    if actor is not None and not may_manage_access(actor):
        raise NotPermitted("Only access managers reconcile directories.")


@transaction.atomic
def reconcile_record(*, actor, entitlement: Entitlement, person: User) -> Grant:
    """Access the directory shows without a grant is recorded as a grant (it is already
    there, so nothing is provisioned)."""
    _require_manager(actor)
    if Grant.objects.filter(holder=person, entitlement=entitlement, state__in=HELD).exists():
        raise TransitionRefused(f"{person} already holds {entitlement.name}.")
    return _found_in_directory(actor, person, entitlement, "Found in the directory and recorded.")


def _found_in_directory(actor, person, entitlement, reason: str) -> Grant:
    """A grant for what the directory already holds: nothing to provision."""
    return _grant_write(
        actor=actor,
        holder=person,
        entitlement=entitlement,
        source=GrantSource.RECONCILIATION,
        valid_from=timezone.now(),
        valid_to=None,
        reason=reason,
        already_provisioned=True,
    )


@transaction.atomic
def reconcile_revoke(*, actor, entitlement: Entitlement, person: User) -> Grant:
    """Access held without a grant is taken out of the directory; the history keeps what
    was found and when it was removed (a grant from reconciliation, ended at once)."""
    _require_manager(actor)
    grant = _found_in_directory(
        actor, person, entitlement, "Found in the directory without a grant."
    )
    _grant_end(
        grant,
        actor=actor,
        reason=EndReason.RECONCILIATION,
        why="Held in the directory without a grant.",
        batch="",
    )
    grant.refresh_from_db()
    return grant


@transaction.atomic
def reconcile_reprovision(*, actor, grant: Grant) -> Grant:
    """A grant the directory does not reflect is written to it again."""
    _require_manager(actor)
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    if grant.state != GrantState.ACTIVE:
        raise TransitionRefused("Only active access can be provisioned again.")
    _provision(grant, StepAction.ADD, batch="", now=timezone.now())
    audit_record(action="access.reprovisioned", obj=grant, actor=actor, changes={})
    return grant


@transaction.atomic
def entitlements_import(
    *, actor, target, application, owner: User, groups, risk: str = "low"
) -> list[Entitlement]:
    """Entitlements for the directory's groups, with their members recorded as grants from
    migration (they hold it already: nothing is provisioned). A group imported before is
    passed by."""
    _require_manager(actor)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    made = []
    for group in groups:
        if Entitlement.objects.filter(target=target, external_id=group.id).exists():
            continue
        name = group.name[:150]
        if Entitlement.objects.filter(application=application, name=name).exists():
            name = f"{name} ({target.name})"[:150]
        entitlement = Entitlement.objects.create(
            name=name,
            application=application,
            owner=owner,
            risk=risk,
            target=target,
            external_id=group.id,
        )
        audit_record(
            action="access.entitlement_imported",
            obj=entitlement,
            actor=actor,
            changes={"group": group.id, "target": target.name, "members": len(group.members)},
        )
        for person in users.filter(username__in=group.members, is_active=True):
            _grant_write(
                actor=actor,
                holder=person,
                entitlement=entitlement,
                source=GrantSource.MIGRATION,
                valid_from=timezone.now(),
                valid_to=None,
                reason=f"Member of {group.name} when imported.",
                already_provisioned=True,
            )
        made.append(entitlement)
    return made


def reconcile_all(*, now: datetime | None = None) -> dict[str, int]:
    """The nightly read-back: each active LDAP and SCIM target's drift, told as a fact (the
    reconciliation page shows the details and the one-click fixes)."""
    from opsdesk.access.connectors import ConnectorError
    from opsdesk.access.directory import drift
    from opsdesk.access.models import ProvisioningTarget, TargetKind

    totals = {"targets": 0, "drift": 0, "unreachable": 0}
    for target in ProvisioningTarget.objects.filter(
        active=True, kind__in=(TargetKind.LDAP, TargetKind.SCIM)
    ):
        totals["targets"] += 1
        try:
            found = drift(target=target, entitlements=target.entitlements.filter(active=True))
        except ConnectorError as exc:
            totals["unreachable"] += 1
            found, error = [], str(exc)
        else:
            error = ""
        found = [d for d in found if d.grant is None or d.grant.provisioning == "provisioned"]
        totals["drift"] += len(found)
        if found or error:
            with transaction.atomic():
                outbox_publish(
                    topic="access.drift_found",
                    payload={"target_id": target.pk, "differences": len(found), "error": error},
                )
    return totals


# --- opsdesk's own roles ----------------------------------------------------------------------
ROLE_RISK = {
    "administrator": Risk.PRIVILEGED,
    "major incident manager": Risk.HIGH,
    "catalog manager": Risk.HIGH,
    "problem manager": Risk.MEDIUM,
    "team lead": Risk.MEDIUM,
    "agent": Risk.MEDIUM,
    "approver": Risk.MEDIUM,
    "service owner": Risk.MEDIUM,
    "requester": Risk.LOW,
}


def _role_apply(grant: Grant, *, add: bool) -> None:
    from django.contrib.auth.models import Group

    from opsdesk.core.roles import forget_roles

    group = Group.objects.filter(name=grant.entitlement.opsdesk_role).first()
    if group is None:
        return
    if add:
        grant.holder.groups.add(group)
    else:
        grant.holder.groups.remove(group)
    forget_roles(grant.holder)


@transaction.atomic
def opsdesk_roles_as_entitlements(*, actor) -> list[Entitlement]:
    """opsdesk's roles become entitlements of an "opsdesk" application, reviewed like any
    other; who holds them now is recorded as grants from migration."""
    from django.contrib.auth.models import Group

    from opsdesk.cmdb.models import CIClass, ConfigurationItem
    from opsdesk.core.roles import Role

    if actor is not None and not may_manage_access(actor):
        raise NotPermitted("Only access managers do this.")
    owner = actor or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if owner is None:
        raise ValidationFailed("An administrator must own opsdesk's roles.", fields={})
    app, _ = ConfigurationItem.objects.get_or_create(
        name="opsdesk", defaults={"ci_class": CIClass.objects.get(key="application")}
    )
    made = []
    for role in Role:
        entitlement, _ = Entitlement.objects.get_or_create(
            application=app,
            opsdesk_role=str(role),
            defaults={
                "name": str(role).capitalize(),
                "kind": "role",
                "owner": owner,
                "risk": ROLE_RISK.get(str(role), Risk.MEDIUM),
                "description": f"opsdesk's {role} role.",
            },
        )
        made.append(entitlement)
        group = Group.objects.filter(name=str(role)).first()
        if group is None:
            continue
        holding = set(
            Grant.objects.filter(entitlement=entitlement, state__in=HELD).values_list(
                "holder_id", flat=True
            )
        )
        for person in group.user_set.filter(is_active=True).exclude(pk__in=holding):
            _grant_write(
                actor=actor,
                holder=person,
                entitlement=entitlement,
                source=GrantSource.MIGRATION,
                valid_from=timezone.now(),
                valid_to=None,
                reason="Held the role when roles became entitlements.",
                already_provisioned=True,
            )
    return made
