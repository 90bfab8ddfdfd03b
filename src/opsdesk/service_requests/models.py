"""The service catalog people order from, the requests and items they order, and the plan
each item's fulfilment follows.

A request (REQ) groups what one person ordered at once; each item (RITM) is one catalog item
with its own answers, approval, state, clock and tasks. The request's state follows its items.
"""

from django.db import models
from django.db.models import Q

from opsdesk.core.models import Task, Team, Ticket, TimestampedModel, VersionedModel


class CatalogCategory(TimestampedModel, VersionedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    icon = models.CharField(max_length=40, blank=True, help_text="An emoji or short symbol.")
    order = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "catalog categories"

    def __str__(self):
        return self.name


class CatalogItem(TimestampedModel, VersionedModel):
    """Something people can order: its page, its form, who approves it and how it is done."""

    category = models.ForeignKey(CatalogCategory, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    short_description = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="What it is, who gets it, how long.")
    icon = models.CharField(max_length=40, blank=True)
    keywords = models.CharField(
        max_length=300, blank=True, help_text="Other words people search for it by."
    )
    # Audience: empty lists mean everyone; otherwise a person in any listed department or
    # holding any listed role sees the item.
    audience_departments = models.JSONField(default=list, blank=True)
    audience_roles = models.JSONField(default=list, blank=True)
    owner_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="catalog_items_owned",
        help_text="The team that answers for the item and gets its requests.",
    )
    form = models.ForeignKey(
        "core.FormSchema",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The questions the item asks when ordered.",
    )
    cost = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Shown on the form."
    )
    needs_approval = models.BooleanField(default=False)
    approval_scheme = models.ForeignKey(
        "approvals.ApprovalScheme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who approves it, stage by stage.",
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The service it gives access to or belongs to; its owner may approve.",
    )
    # A standard request is pre-approved: its steps may run by themselves.
    standard = models.BooleanField(default=False)
    privileged = models.BooleanField(
        default=False, help_text="Grants privileged access: never approved automatically."
    )
    active = models.BooleanField(default=True)
    available_from = models.DateField(null=True, blank=True)
    available_until = models.DateField(null=True, blank=True)
    # How many times it was ordered: the portal's "popular" list reads it.
    order_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category__order", "name"]

    def __str__(self):
        return self.name


class StepAction(models.TextChoices):
    MANUAL = "manual", "A person does it"
    ADD_TO_TEAM = "add_to_team", "Add the person to a team"
    WEBHOOK = "webhook", "Call the team's automation (signed webhook)"


class PlanStep(TimestampedModel):
    """One step of an item's fulfilment plan: a task for a team, after the steps it needs."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=120)
    instructions = models.TextField(blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField(default=10)
    # Steps this one waits for; none: it starts as soon as fulfilment does (parallel steps
    # share their predecessors).
    after = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="before")
    action = models.CharField(max_length=20, choices=StepAction.choices, default=StepAction.MANUAL)
    target_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For “add the person to a team”: which team.",
    )
    webhook_url = models.URLField(blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)
    ola_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="The team's target for its task, in hours."
    )

    class Meta:
        ordering = ["item", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="plan_step_unique_name"),
        ]

    def __str__(self):
        return f"{self.item}: {self.name}"

    @property
    def automated(self) -> bool:
        return self.action != StepAction.MANUAL


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    FULFILLED = "fulfilled", "Fulfilled"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class ServiceRequest(Ticket):
    """What one person ordered at once (REQ); its state follows its items."""

    NUMBER_PREFIX = "REQ"

    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.SUBMITTED
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["caller", "-opened_at"], name="req_caller"),
            models.Index(fields=["requested_for", "-opened_at"], name="req_requested_for"),
        ]


class ItemState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    INFO_NEEDED = "info_needed", "Information needed"
    FULFILLED = "fulfilled", "Fulfilled"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


ITEM_OPEN_STATES = (
    ItemState.SUBMITTED,
    ItemState.AWAITING_APPROVAL,
    ItemState.APPROVED,
    ItemState.IN_FULFILMENT,
    ItemState.INFO_NEEDED,
)


class RequestItem(Ticket):
    """One catalog item ordered (RITM): its answers, approval, clock, tasks and state."""

    NUMBER_PREFIX = "RITM"

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="items")
    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=ItemState.choices, default=ItemState.SUBMITTED)
    quantity = models.PositiveSmallIntegerField(default=1)
    approved_at = models.DateTimeField(null=True, blank=True)
    fulfilment_started_at = models.DateTimeField(null=True, blank=True)
    # Filled in when the item ends without delivery: the approver's or canceller's words.
    close_reason = models.TextField(blank=True)
    # What was handed over (a laptop's CI, now owned by the person it is for).
    delivered_ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["request", "id"], name="ritm_request"),
            models.Index(
                fields=["assignment_group", "-opened_at", "-id"],
                condition=Q(
                    state__in=[
                        "submitted",
                        "awaiting_approval",
                        "approved",
                        "in_fulfilment",
                        "info_needed",
                    ]
                ),
                name="ritm_group_open",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in ITEM_OPEN_STATES

    @property
    def resolution_notes(self) -> str:
        """What the "delivered" mail says, as an incident's resolution notes do."""
        return f"{self.catalog_item.name} is delivered. Tell us if anything is missing."


class AutomationState(models.TextChoices):
    NONE = "", "Manual"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done by automation"
    FAILED = "failed", "Automation failed: done by hand"


class ItemTask(models.Model):
    """A plan step's task for one item, and what its automation did."""

    item = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="plan_tasks")
    step = models.ForeignKey(PlanStep, on_delete=models.PROTECT, related_name="+")
    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="plan_step")
    automation = models.CharField(
        max_length=20, choices=AutomationState.choices, blank=True, default=AutomationState.NONE
    )
    automation_result = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "step__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "step"], name="item_task_once_per_step"),
        ]

    def __str__(self):
        return f"{self.item}: {self.step.name}"


__all__ = [
    "AutomationState",
    "CatalogCategory",
    "CatalogItem",
    "ItemState",
    "ItemTask",
    "PlanStep",
    "RequestItem",
    "RequestState",
    "ServiceRequest",
    "StepAction",
]
