"""Access management's tables: what can be held, how it is asked for, who holds it, how it
reaches the directories, which combinations are forbidden, and the reviews that recertify it.

An ``Entitlement`` is one thing a person can hold on an application (a group, a role, a
licence). An ``AccessPackage`` bundles entitlements with the policy for asking: who may, who
approves, for how long. Ordering a package opens an ``AccessRequest`` (ACC, a ticket); once
approved it writes one ``Grant`` per entitlement. A grant reaches a ``ProvisioningTarget`` (an
LDAP directory, a SCIM service, a webhook) through ``ProvisioningStep`` rows the worker runs with
retries, so a directory that is down delays access and never loses the change.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsdesk.core.models import Team, Ticket, TimestampedModel, VersionedModel


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    PRIVILEGED = "privileged", "Privileged"


RISK_ORDER = [Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.PRIVILEGED]


class TargetKind(models.TextChoices):
    LDAP = "ldap", "LDAP directory"
    SCIM = "scim", "SCIM 2.0 service"
    WEBHOOK = "webhook", "Signed webhook"


class ProvisioningTarget(TimestampedModel, VersionedModel):
    """A directory or system grants are written to. Without one, an entitlement is provisioned
    by hand: its owner team gets a task."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=TargetKind.choices)
    url = models.CharField(
        max_length=300,
        help_text="ldap://host:389, or the SCIM base URL (https://idp.example.com/scim/v2), "
        "or the webhook URL.",
    )
    # LDAP: the bind DN; SCIM: unused (bearer token in ``secret``).
    username = models.CharField("bind DN or user", max_length=300, blank=True)
    secret = models.CharField(
        max_length=500, blank=True, help_text="Bind password, bearer token or webhook secret."
    )
    # LDAP: where people are (``ou=people,dc=example,dc=com``), the attribute that names them
    # (``uid``) and the group attribute that lists members (``member``).
    settings = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class EntitlementKind(models.TextChoices):
    GROUP = "group", "Group"
    ROLE = "role", "Role"
    LICENCE = "licence", "Licence"
    PERMISSION_SET = "permission_set", "Permission set"


class Entitlement(TimestampedModel, VersionedModel):
    """Something one can hold on an application or service."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    application = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The application or service it gives access to.",
    )
    kind = models.CharField(
        max_length=20, choices=EntitlementKind.choices, default=EntitlementKind.GROUP
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="entitlements_owned",
        help_text="Answers for who holds it: approves requests and reviews holders.",
    )
    owner_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Gets the task when it is granted or removed by hand.",
    )
    risk = models.CharField(max_length=12, choices=Risk.choices, default=Risk.LOW)
    max_duration_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="The longest a grant may last; empty: no limit."
    )
    needs_justification = models.BooleanField(default=False)
    target = models.ForeignKey(
        ProvisioningTarget,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlements",
        help_text="Where grants are written; empty: provisioned by hand.",
    )
    external_id = models.CharField(
        max_length=300,
        blank=True,
        help_text="The group's DN (LDAP), id (SCIM) or key (webhook) in the target.",
    )
    # One of opsdesk's own roles (core.roles.Role), held as this entitlement.
    opsdesk_role = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["application__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "name"], name="access_ent_unique_name")
        ]

    def __str__(self):
        return f"{self.application.name}: {self.name}"

    @property
    def privileged(self) -> bool:
        return self.risk == Risk.PRIVILEGED


class AccessPackage(TimestampedModel, VersionedModel):
    """A bundle of entitlements and the policy for asking for it."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=40, blank=True)
    entitlements = models.ManyToManyField(Entitlement, related_name="packages")
    # Who may ask: empty lists mean everyone; otherwise any listed department or role.
    audience_departments = models.JSONField(default=list, blank=True)
    audience_roles = models.JSONField(default=list, blank=True)
    approval_scheme = models.ForeignKey(
        "approvals.ApprovalScheme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who approves, stage by stage; empty: granted without approval.",
    )
    form = models.ForeignKey(
        "core.FormSchema",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Extra questions asked when requested.",
    )
    default_duration_days = models.PositiveIntegerField(null=True, blank=True)
    max_duration_days = models.PositiveIntegerField(null=True, blank=True)
    extension_allowed = models.BooleanField(default=True)
    review_every_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How often holders are recertified."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AccessRequestState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    PROVISIONING = "provisioning", "Being granted"
    GRANTED = "granted", "Granted"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class AccessRequest(Ticket):
    """A request for an access package (ACC): its approvals run once, then its grants."""

    NUMBER_PREFIX = "ACC"

    package = models.ForeignKey(AccessPackage, on_delete=models.PROTECT, related_name="requests")
    state = models.CharField(
        max_length=20, choices=AccessRequestState.choices, default=AccessRequestState.SUBMITTED
    )
    justification = models.TextField(blank=True)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    # A request that extends held access names the grants it lengthens.
    extends = models.ManyToManyField("Grant", blank=True, related_name="extended_by")
    # Segregation of duties: the conflicts seen when it was asked for, and the exception the
    # requester stated for them.
    sod_conflicts = models.JSONField(default=list, blank=True)
    sod_exception = models.TextField(blank=True)
    sod_exception_until = models.DateField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    granted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["requested_for", "-opened_at"], name="acc_requested_for"),
        ]


class GrantSource(models.TextChoices):
    REQUEST = "request", "Request"
    RULE = "rule", "Rule"
    BIRTHRIGHT = "birthright", "Birthright"
    MIGRATION = "migration", "Migration"
    RECONCILIATION = "reconciliation", "Recorded from the directory"


class GrantState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"  # approved, starts later
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class Provisioning(models.TextChoices):
    NONE = "", "Not yet"
    PENDING = "pending", "Being provisioned"
    PROVISIONED = "provisioned", "Provisioned"
    FAILED = "failed", "Failed"
    DEPROVISIONING = "deprovisioning", "Being removed"
    DEPROVISIONED = "deprovisioned", "Removed"


class EndReason(models.TextChoices):
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    LEAVER = "leaver", "Person left"
    REVIEW = "review", "Refused in a review"
    RECONCILIATION = "reconciliation", "Not in the directory"


class Grant(TimestampedModel, VersionedModel):
    """Who holds which entitlement, from when to when, why, approved by whom, and whether the
    directory has it."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="grants")
    state = models.CharField(max_length=10, choices=GrantState.choices)
    source = models.CharField(max_length=20, choices=GrantSource.choices)
    request = models.ForeignKey(
        AccessRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants"
    )
    reason = models.TextField(blank=True)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    # Names, as they were when approved: a report reads them without joining approvals.
    approved_by = models.JSONField(default=list, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provisioning = models.CharField(
        max_length=16, choices=Provisioning.choices, default=Provisioning.NONE, blank=True
    )
    provisioning_error = models.TextField(blank=True)
    provisioned_at = models.DateTimeField(null=True, blank=True)
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expiry_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        indexes = [
            models.Index(fields=["holder", "state"], name="access_grant_holder"),
            models.Index(fields=["entitlement", "state"], name="access_grant_ent"),
            models.Index(fields=["state", "valid_to"], name="access_grant_expiry"),
            models.Index(fields=["state", "valid_from"], name="access_grant_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="access_grant_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.holder} → {self.entitlement}"


class StepAction(models.TextChoices):
    ADD = "add", "Add to the group"
    REMOVE = "remove", "Remove from the group"
    DISABLE_ACCOUNT = "disable", "Disable the account"


class StepState(models.TextChoices):
    PENDING = "pending", "Waiting"
    RETRYING = "retrying", "Failed, will retry"
    DONE = "done", "Done"
    MANUAL = "manual", "Given to the owner team"
    FAILED = "failed", "Failed, gave up"
    CANCELLED = "cancelled", "No longer needed"


class ProvisioningStep(models.Model):
    """One change to write to a target, run by the worker until it is done.

    A grant's steps tell the whole story of its provisioning: each attempt's error is kept, and
    the grant is marked provisioned only when the directory said yes.
    """

    grant = models.ForeignKey(
        Grant, null=True, blank=True, on_delete=models.CASCADE, related_name="steps"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(
        ProvisioningTarget, null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    action = models.CharField(max_length=10, choices=StepAction.choices)
    state = models.CharField(max_length=10, choices=StepState.choices, default=StepState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    # The batch a leaver's or a review's removals belong to, so their progress shows as one.
    batch = models.CharField(max_length=40, blank=True, db_index=True)
    # Steps without a target are done by hand by the entitlement's owner team.
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="access_step_due")]

    def __str__(self):
        return f"{self.get_action_display()} {self.person} ({self.get_state_display()})"


class Match(models.TextChoices):
    ANY = "any", "Any of them"
    ALL = "all", "All of them"


class SodAction(models.TextChoices):
    BLOCK = "block", "Block the request"
    EXTRA_APPROVAL = "approve", "Ask an extra approval with a stated exception"
    RECORD = "record", "Record only"


class SodRule(TimestampedModel, VersionedModel):
    """Two sets of entitlements one person must not hold together."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text="Why the combination is forbidden.")
    left = models.ManyToManyField(Entitlement, related_name="+")
    left_match = models.CharField(max_length=3, choices=Match.choices, default=Match.ANY)
    right = models.ManyToManyField(Entitlement, related_name="+")
    right_match = models.CharField(max_length=3, choices=Match.choices, default=Match.ANY)
    action = models.CharField(max_length=8, choices=SodAction.choices, default=SodAction.BLOCK)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "segregation of duties rule"

    def __str__(self):
        return self.name


class ViolationState(models.TextChoices):
    OPEN = "open", "Open"
    EXCEPTED = "excepted", "Accepted as an exception"
    RESOLVED = "resolved", "Resolved"


class SodViolation(TimestampedModel):
    """A person found holding both sides of a rule at the same time."""

    rule = models.ForeignKey(SodRule, on_delete=models.CASCADE, related_name="violations")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grants = models.ManyToManyField(Grant, related_name="+")
    state = models.CharField(
        max_length=10, choices=ViolationState.choices, default=ViolationState.OPEN
    )
    found_at = models.DateTimeField()
    found_by = models.CharField(max_length=20, help_text="request, grant or scan")
    exception = models.TextField(blank=True)
    exception_until = models.DateField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "person"],
                condition=Q(state="open"),
                name="access_sod_one_open_per_person",
            )
        ]

    def __str__(self):
        return f"{self.rule} — {self.person}"

    FOUND_BY_LABELS = {
        "request": "when it was asked for",
        "grant": "when it was granted",
        "scan": "by the nightly scan",
    }

    @property
    def found_by_label(self) -> str:
        return self.FOUND_BY_LABELS.get(self.found_by, self.found_by)


class BirthrightRule(TimestampedModel):
    """Entitlements everyone in a department (or everyone) gets when they join or move in."""

    name = models.CharField(max_length=120, unique=True)
    department = models.CharField(max_length=100, blank=True, help_text="Empty: everyone.")
    entitlements = models.ManyToManyField(Entitlement, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class CampaignState(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Under way"
    CLOSED = "closed", "Closed for decisions"
    APPLIED = "applied", "Applied"


class ReviewerSource(models.TextChoices):
    MANAGER = "manager", "The holder's manager"
    OWNER = "owner", "The entitlement's owner"
    NAMED = "named", "Named people"


class NoAnswer(models.TextChoices):
    KEEP = "keep", "Keep the access"
    REVOKE = "revoke", "Revoke the access"
    ESCALATE = "escalate", "Send to the campaign owner"


class ReviewCampaign(TimestampedModel, VersionedModel):
    """A recertification: reviewers decide whether each grant in scope should stay."""

    name = models.CharField(max_length=150)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns_owned"
    )
    state = models.CharField(
        max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    # Scope: any of these narrow it; none: every active grant.
    scope_applications = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="+"
    )
    scope_packages = models.ManyToManyField(AccessPackage, blank=True, related_name="+")
    scope_privileged = models.BooleanField("privileged entitlements only", default=False)
    scope_department = models.CharField(max_length=100, blank=True)
    # Up to three stages; each names where its reviewers come from.
    stages = models.JSONField(
        default=list, help_text='e.g. ["manager", "owner"]: who reviews at each stage.'
    )
    named_reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    deadline = models.DateTimeField()
    reminder_days = models.PositiveIntegerField(default=3)
    no_answer = models.CharField(max_length=10, choices=NoAnswer.choices, default=NoAnswer.KEEP)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class Decision(models.TextChoices):
    PENDING = "", "Not decided"
    KEEP = "keep", "Keep"
    REVOKE = "revoke", "Revoke"
    SHORTEN = "shorten", "Shorten"


class ReviewItem(models.Model):
    """One grant for one reviewer to decide on, at one stage of a campaign."""

    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="items")
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="review_items")
    stage = models.PositiveSmallIntegerField(default=1)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_items"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    shorten_to = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delegated_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delegation_reason = models.TextField(blank=True)
    # Decided by the no-answer policy at the deadline, not by a person.
    by_policy = models.BooleanField(default=False)
    applied_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "stage", "id"]
        indexes = [
            models.Index(fields=["reviewer", "decision"], name="access_review_inbox"),
            models.Index(fields=["campaign", "stage", "decision"], name="access_review_prog"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "grant", "stage"], name="access_review_one_per_stage"
            )
        ]

    def __str__(self):
        return f"{self.campaign}: stage {self.stage}, grant {self.grant_id}"


class LifecycleKind(models.TextChoices):
    JOINER = "joiner", "Joined"
    MOVER = "mover", "Moved"
    LEAVER = "leaver", "Left"


class LifecycleEvent(models.Model):
    """A person joining, moving or leaving, and what opsdesk did about it."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lifecycle_events"
    )
    kind = models.CharField(max_length=8, choices=LifecycleKind.choices)
    effective_at = models.DateTimeField()
    source = models.CharField(max_length=20, help_text="user record, API, HR import or SCIM")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    batch = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-effective_at", "-id"]
        indexes = [models.Index(fields=["processed_at", "effective_at"], name="access_jml_due")]

    def __str__(self):
        return f"{self.person} {self.get_kind_display().lower()}"


class ScimLink(models.Model):
    """The identity provider's own id (SCIM ``externalId``) for a person or team it pushes to
    opsdesk's SCIM endpoint; the person and the team themselves stay core's records."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scim_link",
    )
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="scim_link"
    )
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Set when the identity provider deleted the person: the account stays (disabled) so its
    # history does, but SCIM answers 404 for it, as RFC 7644 §3.6 asks.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="access_scimlink_one_owner",
            )
        ]

    def __str__(self):
        return self.external_id
