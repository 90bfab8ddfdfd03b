"""Access reviews: a campaign asks reviewers whether each grant in its scope should stay.

Items are generated in bulk when the campaign starts (one per grant for the first stage; a
"keep" at one stage asks the next stage's reviewer). Nobody reviews their own access. At the
deadline the no-answer policy decides what is left; nothing is taken away until the owner
applies the campaign, after a dry run shows exactly which grants will end.
"""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from opsdesk.access.models import (
    CampaignState,
    Decision,
    EndReason,
    Grant,
    GrantState,
    NoAnswer,
    ReviewCampaign,
    ReviewerSource,
    ReviewItem,
)
from opsdesk.access.selectors import may_manage_access
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import User
from opsdesk.core.outbox import outbox_publish, outbox_publish_many

MAX_STAGES = 3


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    deadline: datetime,
    stages=(ReviewerSource.MANAGER,),
    scope_applications=(),
    scope_packages=(),
    scope_privileged: bool = False,
    scope_department: str = "",
    named_reviewers=(),
    no_answer: str = NoAnswer.KEEP,
    reminder_days: int = 3,
) -> ReviewCampaign:
    if not may_manage_access(actor):
        raise NotPermitted("Only access managers run access reviews.")
    fields: dict[str, list[str]] = {}
    stages = [str(s) for s in stages]
    if not (name or "").strip():
        fields["name"] = ["Name the campaign."]
    if not 1 <= len(stages) <= MAX_STAGES:
        fields["stages"] = [f"Between one and {MAX_STAGES} stages."]
    elif set(stages) - set(ReviewerSource.values):
        fields["stages"] = ["Each stage is reviewed by managers, owners or named people."]
    if ReviewerSource.NAMED in stages and not named_reviewers:
        fields["named_reviewers"] = ["Name the reviewers for the named-people stage."]
    if deadline is None or deadline <= timezone.now():
        fields["deadline"] = ["The deadline must be in the future."]
    if no_answer not in NoAnswer.values:
        fields["no_answer"] = ["Say what happens to access nobody decided on."]
    if fields:
        raise ValidationFailed(next(iter(fields.values()))[0], fields=fields)
    campaign = ReviewCampaign.objects.create(
        name=name.strip(),
        owner=actor,
        deadline=deadline,
        stages=stages,
        scope_privileged=scope_privileged,
        scope_department=scope_department,
        no_answer=no_answer,
        reminder_days=reminder_days,
    )
    campaign.scope_applications.set(scope_applications)
    campaign.scope_packages.set(scope_packages)
    campaign.named_reviewers.set(named_reviewers)
    audit_record(
        action="access.campaign_created",
        obj=campaign,
        actor=actor,
        changes={"name": campaign.name, "stages": stages, "no_answer": no_answer},
    )
    return campaign


def campaign_scope(campaign: ReviewCampaign) -> QuerySet:
    """The active grants the campaign reviews."""
    grants = Grant.objects.filter(state=GrantState.ACTIVE, holder__is_active=True)
    applications = list(campaign.scope_applications.values_list("pk", flat=True))
    if applications:
        grants = grants.filter(entitlement__application__in=applications)
    packages = list(campaign.scope_packages.values_list("pk", flat=True))
    if packages:
        grants = grants.filter(entitlement__packages__in=packages)
    if campaign.scope_privileged:
        grants = grants.filter(entitlement__risk="privileged")
    if campaign.scope_department:
        grants = grants.filter(holder__department=campaign.scope_department)
    return grants.distinct()


class _Reviewers:
    """Who reviews a grant at a stage, never its holder: the source's person, else the
    campaign owner, else the owner's manager."""

    def __init__(self, campaign: ReviewCampaign):
        self.campaign = campaign
        self.named = list(campaign.named_reviewers.values_list("pk", flat=True))
        self.owner_manager = campaign.owner.manager_id

    def pick(self, source: str, *, holder_id: int, manager_id, entitlement_owner_id, index: int):
        if source == ReviewerSource.MANAGER:
            candidate = manager_id
        elif source == ReviewerSource.OWNER:
            candidate = entitlement_owner_id
        else:
            others = [pk for pk in self.named if pk != holder_id]
            candidate = others[index % len(others)] if others else None
        for pk in (candidate, self.campaign.owner_id, self.owner_manager):
            if pk is not None and pk != holder_id:
                return pk
        return None


@transaction.atomic
def campaign_start(*, actor, campaign: ReviewCampaign, now: datetime | None = None) -> int:
    """Generate the first stage's items in bulk and tell the reviewers; returns how many."""
    if actor is not None and not (may_manage_access(actor) or actor.pk == campaign.owner_id):
        raise NotPermitted("Only the campaign's owner starts it.")
    campaign = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != CampaignState.DRAFT:
        raise TransitionRefused("The campaign has already started.")
    now = now or timezone.now()
    reviewers = _Reviewers(campaign)
    source = campaign.stages[0]
    rows = campaign_scope(campaign).values_list(
        "pk", "holder_id", "holder__manager_id", "entitlement__owner_id"
    )
    batch: list[ReviewItem] = []
    created = 0
    for index, (grant_id, holder_id, manager_id, owner_id) in enumerate(
        rows.iterator(chunk_size=5000)
    ):
        reviewer = reviewers.pick(
            source,
            holder_id=holder_id,
            manager_id=manager_id,
            entitlement_owner_id=owner_id,
            index=index,
        )
        if reviewer is None:
            continue
        batch.append(
            ReviewItem(campaign=campaign, grant_id=grant_id, stage=1, reviewer_id=reviewer)
        )
        if len(batch) >= 5000:
            ReviewItem.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    ReviewItem.objects.bulk_create(batch)
    created += len(batch)
    campaign.state = CampaignState.RUNNING
    campaign.started_at = now
    campaign.version += 1
    campaign.save(update_fields=["state", "started_at", "version", "updated_at"])
    audit_record(
        action="access.campaign_started", obj=campaign, actor=actor, changes={"items": created}
    )
    _tell_reviewers(campaign, stage=1)
    return created


def _tell_reviewers(campaign: ReviewCampaign, *, stage: int, reviewer_ids=None) -> None:
    counts = (
        ReviewItem.objects.filter(campaign=campaign, stage=stage, decision="")
        .values("reviewer_id")
        .annotate(n=Count("id"))
    )
    if reviewer_ids is not None:
        counts = counts.filter(reviewer_id__in=reviewer_ids)
    outbox_publish_many(
        [
            (
                "access.review_requested",
                {"campaign_id": campaign.pk, "reviewer_id": row["reviewer_id"], "items": row["n"]},
            )
            for row in counts
        ]
    )


def _may_decide(actor, item: ReviewItem, now) -> None:
    campaign = item.campaign
    escalated = campaign.state == CampaignState.CLOSED and campaign.no_answer == NoAnswer.ESCALATE
    if item.reviewer_id != actor.pk:
        raise NotPermitted("This review is someone else's to decide.")
    if item.grant.holder_id == actor.pk:
        raise NotPermitted("Nobody reviews their own access.")
    if escalated and item.reviewer_id == campaign.owner_id and not item.decision:
        return
    if campaign.state != CampaignState.RUNNING or now > campaign.deadline:
        raise TransitionRefused(
            f"The review closed on {timezone.localtime(campaign.deadline):%d %b %Y %H:%M}; "
            "decisions are no longer taken."
        )


@transaction.atomic
def review_decide(
    *,
    actor,
    item: ReviewItem,
    decision: str,
    comment: str = "",
    shorten_to: datetime | None = None,
    now: datetime | None = None,
) -> ReviewItem:
    """Keep, revoke or shorten one grant; a keep asks the next stage, if there is one."""
    now = now or timezone.now()
    item = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("campaign", "grant")
        .get(pk=item.pk)
    )
    _may_decide(actor, item, now)
    fields: dict[str, list[str]] = {}
    comment = (comment or "").strip()
    if decision not in (Decision.KEEP, Decision.REVOKE, Decision.SHORTEN):
        fields["decision"] = ["Keep, revoke or shorten."]
    if decision == Decision.REVOKE and not comment:
        fields["comment"] = ["Say why the access should go."]
    if decision == Decision.SHORTEN:
        if shorten_to is None or shorten_to <= now:
            fields["shorten_to"] = ["Give a new end in the future."]
        elif item.grant.valid_to is not None and shorten_to >= item.grant.valid_to:
            fields["shorten_to"] = ["Shortening ends the access earlier than it ends now."]
    if fields:
        raise ValidationFailed(next(iter(fields.values()))[0], fields=fields)
    item.decision = decision
    item.comment = comment
    item.shorten_to = shorten_to if decision == Decision.SHORTEN else None
    item.decided_at = now
    item.decided_by = actor
    item.save(update_fields=["decision", "comment", "shorten_to", "decided_at", "decided_by"])
    audit_record(
        action="access.review_decided",
        obj=item,
        actor=actor,
        changes={"decision": decision, "comment": comment, "grant": item.grant_id},
    )
    stages = item.campaign.stages
    if decision == Decision.KEEP and item.stage < len(stages):
        _next_stage(item, now=now)
    return item


def _next_stage(item: ReviewItem, *, now) -> ReviewItem | None:
    campaign = item.campaign
    grant = Grant.objects.select_related("holder", "entitlement").get(pk=item.grant_id)
    reviewer = _Reviewers(campaign).pick(
        campaign.stages[item.stage],
        holder_id=grant.holder_id,
        manager_id=grant.holder.manager_id,
        entitlement_owner_id=grant.entitlement.owner_id,
        index=grant.pk,
    )
    if reviewer is None:
        return None
    following, created = ReviewItem.objects.get_or_create(
        campaign=campaign, grant=grant, stage=item.stage + 1, defaults={"reviewer_id": reviewer}
    )
    if created:
        _tell_reviewers(campaign, stage=item.stage + 1, reviewer_ids=[reviewer])
    return following


@transaction.atomic
def review_delegate(*, actor, item: ReviewItem, to: User, reason: str) -> ReviewItem:
    item = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("campaign", "grant")
        .get(pk=item.pk)
    )
    _may_decide(actor, item, timezone.now())
    fields: dict[str, list[str]] = {}
    if not (reason or "").strip():
        fields["reason"] = ["Say why someone else should decide."]
    if to is None or not to.is_active:
        fields["to"] = ["Pick an active person."]
    elif to.pk == item.grant.holder_id:
        fields["to"] = ["Nobody reviews their own access."]
    elif to.pk == actor.pk:
        fields["to"] = ["Pick someone else."]
    if fields:
        raise ValidationFailed(next(iter(fields.values()))[0], fields=fields)
    item.delegated_from = actor
    item.delegation_reason = reason.strip()
    item.reviewer = to
    item.save(update_fields=["delegated_from", "delegation_reason", "reviewer"])
    audit_record(
        action="access.review_delegated",
        obj=item,
        actor=actor,
        changes={"to": to.username, "reason": item.delegation_reason},
    )
    _tell_reviewers(item.campaign, stage=item.stage, reviewer_ids=[to.pk])
    return item


@transaction.atomic
def campaign_close(*, actor, campaign: ReviewCampaign, now: datetime | None = None) -> dict:
    """Stop taking decisions; the no-answer policy decides what is left."""
    now = now or timezone.now()
    campaign = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if actor is not None and not (may_manage_access(actor) or actor.pk == campaign.owner_id):
        raise NotPermitted("Only the campaign's owner closes it.")
    if campaign.state != CampaignState.RUNNING:
        raise TransitionRefused("Only a campaign under way can be closed.")
    undecided = ReviewItem.objects.filter(campaign=campaign, decision="")
    count = undecided.count()
    if campaign.no_answer == NoAnswer.ESCALATE:
        undecided.exclude(grant__holder=campaign.owner).update(reviewer=campaign.owner)
    else:
        decision = Decision.KEEP if campaign.no_answer == NoAnswer.KEEP else Decision.REVOKE
        undecided.update(
            decision=decision,
            decided_at=now,
            by_policy=True,
            comment=f"Nobody decided by the deadline: {campaign.get_no_answer_display().lower()}.",
        )
    campaign.state = CampaignState.CLOSED
    campaign.closed_at = now
    campaign.version += 1
    campaign.save(update_fields=["state", "closed_at", "version", "updated_at"])
    audit_record(
        action="access.campaign_closed",
        obj=campaign,
        actor=actor,
        changes={"undecided": count, "no_answer": campaign.no_answer},
    )
    return {"undecided": count}


def final_decisions(campaign: ReviewCampaign) -> dict[int, ReviewItem]:
    """Per grant, the decision that stands: any revoke wins; else the last stage's word."""
    final: dict[int, ReviewItem] = {}
    for item in ReviewItem.objects.filter(campaign=campaign).exclude(decision="").order_by("stage"):
        standing = final.get(item.grant_id)
        if standing is not None and standing.decision == Decision.REVOKE:
            continue
        final[item.grant_id] = item
    return final


def campaign_dry_run(campaign: ReviewCampaign) -> list[dict]:
    """Exactly which grants applying would end or shorten, and why."""
    decisions = final_decisions(campaign)
    grants = Grant.objects.in_bulk(list(decisions))
    changes = []
    for grant_id, item in decisions.items():
        grant = grants.get(grant_id)
        if grant is None or grant.state == GrantState.ENDED or item.decision == Decision.KEEP:
            continue
        changes.append(
            {"grant": grant, "item": item, "decision": item.decision, "ends_at": item.shorten_to}
        )
    return changes


@transaction.atomic
def campaign_apply(*, actor, campaign: ReviewCampaign) -> dict:
    """End and shorten what the reviewers refused, in one audited batch."""
    from opsdesk.access.services import _grant_end

    campaign = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if not (may_manage_access(actor) or actor.pk == campaign.owner_id):
        raise NotPermitted("Only the campaign's owner applies it.")
    if campaign.state != CampaignState.CLOSED:
        raise TransitionRefused("Close the campaign before applying it.")
    if ReviewItem.objects.filter(campaign=campaign, decision="").exists():
        raise TransitionRefused("Some reviews are still undecided: decide them first.")
    now = timezone.now()
    batch = f"review-{campaign.pk}-{uuid.uuid4().hex[:8]}"
    revoked = shortened = 0
    for change in campaign_dry_run(campaign):
        grant, item = change["grant"], change["item"]
        if change["decision"] == Decision.REVOKE:
            revoked += _grant_end(
                grant, actor=actor, reason=EndReason.REVIEW, why=item.comment, batch=batch, now=now
            )
        else:
            Grant.objects.filter(pk=grant.pk).update(
                valid_to=item.shorten_to, version=grant.version + 1
            )
            audit_record(
                action="access.shortened",
                obj=grant,
                actor=actor,
                changes={"valid_to": item.shorten_to, "campaign": campaign.name},
            )
            shortened += 1
        ReviewItem.objects.filter(pk=item.pk).update(applied_at=now)
    from opsdesk.access.services import _batch_due

    _batch_due(batch)
    campaign.state = CampaignState.APPLIED
    campaign.applied_at = now
    campaign.version += 1
    campaign.save(update_fields=["state", "applied_at", "version", "updated_at"])
    audit_record(
        action="access.campaign_applied",
        obj=campaign,
        actor=actor,
        changes={"revoked": revoked, "shortened": shortened, "batch": batch},
    )
    return {"revoked": revoked, "shortened": shortened, "batch": batch}


def campaigns_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Close campaigns whose deadline passed; remind reviewers once a day near the deadline."""
    now = now or timezone.now()
    closed = reminded = 0
    for campaign in ReviewCampaign.objects.filter(state=CampaignState.RUNNING, deadline__lte=now):
        campaign_close(actor=None, campaign=campaign, now=now)
        closed += 1
    for campaign in ReviewCampaign.objects.filter(state=CampaignState.RUNNING, deadline__gt=now):
        if campaign.deadline - now > timedelta(days=campaign.reminder_days):
            continue
        with transaction.atomic():
            due = ReviewItem.objects.filter(campaign=campaign, decision="").filter(
                Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - timedelta(days=1))
            )
            reviewers = set(due.values_list("reviewer_id", flat=True))
            if not reviewers:
                continue
            due.update(reminded_at=now)
            for reviewer_id in reviewers:
                outbox_publish(
                    topic="access.review_reminder",
                    payload={"campaign_id": campaign.pk, "reviewer_id": reviewer_id},
                )
            reminded += len(reviewers)
    return {"closed": closed, "reminded": reminded}


def campaign_progress(campaign: ReviewCampaign) -> list[dict]:
    """Per reviewer: how many items, how many decided."""
    rows = (
        ReviewItem.objects.filter(campaign=campaign)
        .values(
            "reviewer_id",
            "reviewer__username",
            "reviewer__display_name",
            "reviewer__first_name",
            "reviewer__last_name",
        )
        .annotate(total=Count("id"), decided=Count("id", filter=~Q(decision="")))
        .order_by("reviewer__username")
    )
    return [
        {
            # As the people pages name them: the display name first.
            "reviewer": r["reviewer__display_name"]
            or f"{r['reviewer__first_name']} {r['reviewer__last_name']}".strip()
            or r["reviewer__username"],
            "total": r["total"],
            "decided": r["decided"],
        }
        for r in rows
    ]


def mover_review(*, person: User, grants: list[Grant], now) -> ReviewCampaign | None:
    """Someone moved: their manager confirms what they still need (system-made campaign)."""
    owner = person.manager or User.objects.filter(is_superuser=True, is_active=True).first()
    if owner is None:
        return None
    campaign = ReviewCampaign.objects.create(
        name=f"Moved: what does {person.get_full_name() or person.username} still need?",
        owner=owner,
        deadline=now + timedelta(days=14),
        stages=[ReviewerSource.MANAGER],
        no_answer=NoAnswer.ESCALATE,
        state=CampaignState.RUNNING,
        started_at=now,
    )
    items = []
    for grant in grants:
        reviewer = (
            person.manager_id if person.manager_id and person.manager_id != person.pk else owner.pk
        )
        items.append(ReviewItem(campaign=campaign, grant=grant, stage=1, reviewer_id=reviewer))
    ReviewItem.objects.bulk_create(items)
    audit_record(
        action="access.campaign_started",
        obj=campaign,
        actor=None,
        changes={"items": len(items), "mover": person.username},
    )
    _tell_reviewers(campaign, stage=1)
    return campaign
