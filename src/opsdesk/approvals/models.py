"""The approval engine's tables: schemes and their stages (configuration), and the runtime.

An ``ApprovalScheme`` is an ordered list of ``ApprovalStage``s. Starting a scheme on a ticket
creates an ``Approval``; each stage that starts gets an ``ApprovalStageRun`` (skipped ones too,
so the record shows why), and each person asked an ``ApprovalRequest``. ``ApprovalToken`` holds
the hashes of the one-time link and mail-reply tokens each approval mail carries;
``Delegation`` sends a person's approvals to someone else while they are away.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from opsdesk.approvals.conditions import condition_errors
from opsdesk.core.models import TimestampedModel, VersionedModel


class ApprovalRule(models.TextChoices):
    ANY = "any", "Any one approver"
    ALL = "all", "Every approver"
    COUNT = "count", "A number of the approvers"
    SHARE = "share", "A share of the approvers"


class TimeoutAction(models.TextChoices):
    NONE = "", "Keep waiting"
    ESCALATE = "escalate", "Hand the stage to the fallback approver"
    APPROVE = "approve", "Approve automatically"
    REJECT = "reject", "Reject automatically"


class ApprovalScheme(TimestampedModel, VersionedModel):
    """A named chain of approval stages, chosen by a catalog item, access package or change."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApprovalStage(models.Model):
    """One step of a scheme: who is asked, how many must agree, and what happens when nobody
    answers in time. Stages run one after another in ``position`` order."""

    scheme = models.ForeignKey(ApprovalScheme, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100)
    condition = models.CharField(
        max_length=500,
        blank=True,
        help_text="On the form answers, e.g. amount > 1000 and department == 'Finance'. "
        "Empty: always. A stage whose condition does not hold is skipped.",
    )
    rule = models.CharField(max_length=10, choices=ApprovalRule.choices, default=ApprovalRule.ANY)
    required_count = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For “a number of the approvers”: how many."
    )
    required_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For “a share of the approvers”: the percent (1-100)."
    )
    # Where the approvers come from: any combination of these.
    from_manager = models.BooleanField(
        "manager of the person it is for",
        default=False,
        help_text="The manager of the person the request is for (the caller when nobody else).",
    )
    from_team = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="members of team",
    )
    from_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="named people"
    )
    from_ci_owner = models.BooleanField("owner of the configuration item", default=False)
    from_service_owner = models.BooleanField("owner of the service", default=False)
    from_answer = models.CharField(
        "person named in the answers",
        max_length=100,
        blank=True,
        help_text="The key of an answer that holds a user id or user name.",
    )
    fallback_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Asked when nobody else may approve, and at timeout when escalating.",
    )
    timeout_hours = models.PositiveIntegerField(null=True, blank=True)
    timeout_action = models.CharField(
        max_length=10, choices=TimeoutAction.choices, default=TimeoutAction.NONE, blank=True
    )
    reminder_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Remind the pending approvers every so many hours."
    )

    class Meta:
        ordering = ["scheme", "position", "id"]

    def __str__(self):
        return f"{self.scheme}: {self.name}"

    def clean(self):
        errors: dict[str, list[str]] = {}
        problem = condition_errors(self.condition)
        if problem:
            errors["condition"] = [problem]
        if self.rule == ApprovalRule.COUNT and not self.required_count:
            errors["required_count"] = ["Say how many approvers must approve."]
        if self.rule == ApprovalRule.SHARE and not (
            self.required_percent and 1 <= self.required_percent <= 100
        ):
            errors["required_percent"] = ["Give a percent between 1 and 100."]
        if self.timeout_action and not self.timeout_hours:
            errors["timeout_hours"] = ["Say after how many hours the timeout acts."]
        if self.timeout_action == TimeoutAction.ESCALATE and not self.fallback_approver_id:
            errors["fallback_approver"] = ["Escalating at timeout needs a fallback approver."]
        if errors:
            raise ValidationError(errors)

    @property
    def has_source(self) -> bool:
        return bool(
            self.from_manager
            or self.from_team_id
            or self.from_ci_owner
            or self.from_service_owner
            or self.from_answer
            or (self.pk and self.from_users.exists())
        )


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class Approval(TimestampedModel, VersionedModel):
    """One scheme running on one ticket (a request item, an access request, a change)."""

    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    scheme = models.ForeignKey(ApprovalScheme, on_delete=models.PROTECT, related_name="approvals")
    state = models.CharField(
        max_length=10, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    current_stage = models.ForeignKey(
        ApprovalStage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    privileged = models.BooleanField(
        default=False, help_text="Privileged access or changes: never approved automatically."
    )
    answers = models.JSONField(default=dict, blank=True)
    requested_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="configuration item",
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was rejected or cancelled.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="approval_subject")]

    def __str__(self):
        return f"Approval {self.pk} ({self.get_state_display()})"


class StageRunState(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class ApprovalStageRun(models.Model):
    """A stage as it ran on one approval: when it started, how it ended, and why."""

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="runs")
    stage = models.ForeignKey(ApprovalStage, on_delete=models.PROTECT, related_name="runs")
    position = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=10, choices=StageRunState.choices, default=StageRunState.PENDING
    )
    started_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # After escalation the fallback approver decides the stage alone.
    escalated = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Why it was skipped, refused or escalated.")

    class Meta:
        ordering = ["approval", "position", "id"]

    def __str__(self):
        return f"{self.stage.name} ({self.get_state_display()})"


class RequestState(models.TextChoices):
    PENDING = "pending", "Waiting for your decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NOT_NEEDED = "not_needed", "No longer needed"


class DecidedVia(models.TextChoices):
    INBOX = "inbox", "My approvals page"
    LINK = "link", "Link in the mail"
    MAIL = "mail", "Reply by mail"
    API = "api", "API"
    TIMEOUT = "timeout", "Timeout"


class ApprovalRequest(models.Model):
    """One person asked to approve one stage run."""

    run = models.ForeignKey(ApprovalStageRun, on_delete=models.CASCADE, related_name="requests")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests"
    )
    # Set when the request came to the approver as someone's delegate.
    delegated_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_via = models.CharField(max_length=10, choices=DecidedVia.choices, blank=True)
    # Who pressed the button: the approver, or their active delegate.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalation = models.BooleanField(default=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["approver", "state"], name="approval_request_inbox")]
        constraints = [
            models.UniqueConstraint(fields=["run", "approver"], name="approval_request_once")
        ]

    def __str__(self):
        return f"{self.approver} on {self.run} ({self.get_state_display()})"

    @property
    def approval(self) -> Approval:
        return self.run.approval


class TokenKind(models.TextChoices):
    LINK = "link", "One-time link"
    MAIL = "mail", "Mail reply"


class ApprovalToken(models.Model):
    """The SHA-256 of a token an approval mail carries; the token itself is never stored.

    Each mail about a request (the first one, each reminder) carries its own pair, so an
    earlier mail's link keeps working until the request is decided; then all of them die.
    """

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=4, choices=TokenKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.get_kind_display()} for request {self.request_id}"


class Delegation(TimestampedModel):
    """While active (start to end date, both included), new requests for ``delegator`` go to
    ``delegate``, and ``delegate`` may decide ``delegator``'s pending ones."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(delegator=models.F("delegate")), name="delegation_not_to_self"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.delegator} → {self.delegate} ({self.starts_on} to {self.ends_on})"

    def clean(self):
        if self.delegator_id and self.delegator_id == self.delegate_id:
            raise ValidationError({"delegate": ["Delegate to someone other than yourself."]})
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": ["The end date is before the start date."]})
