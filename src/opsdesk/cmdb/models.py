"""Configuration items, their classes and the typed relationships between them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from opsdesk.core.models import Team, TeamType
from opsdesk.core.models.base import TimestampedModel, VersionedModel

BUSINESS_SERVICE = "business_service"
TECHNICAL_SERVICE = "technical_service"
# The classes whose CIs are used by people, and so may name who uses them.
SERVICE_CLASSES = (BUSINESS_SERVICE, TECHNICAL_SERVICE)
# As long as User.department, so any department can be named.
DEPARTMENT_MAX_LENGTH = 100

# Support groups that own infrastructure: the Technical, Application and IT Operations
# Management functions. The service desk takes calls; it does not own CIs.
SUPPORTING_TEAM_TYPES = (TeamType.TECHNICAL, TeamType.APPLICATION, TeamType.OPERATIONS)


class CIClass(models.Model):
    """A kind of configuration item and the JSON schema its ``attributes`` must satisfy."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    attribute_schema = models.JSONField(
        default=dict,
        blank=True,
        help_text="JSON Schema (draft 2020-12) for the attributes of CIs of this class.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "CI class"
        verbose_name_plural = "CI classes"

    def __str__(self):
        return self.name

    @property
    def is_business_service(self) -> bool:
        return self.key == BUSINESS_SERVICE

    @property
    def is_service(self) -> bool:
        return self.key in SERVICE_CLASSES

    def clean(self):
        try:
            Draft202012Validator.check_schema(self.attribute_schema or {})
        except SchemaError as error:
            raise ValidationError(
                {"attribute_schema": f"Not a valid JSON schema: {error.message}"}
            ) from None

    def attribute_errors(self, attributes) -> list[str]:
        """Every way ``attributes`` breaks this class's schema, one sentence each."""
        validator = Draft202012Validator(self.attribute_schema or {})
        messages = []
        for error in sorted(validator.iter_errors(attributes), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in error.path)
            messages.append(f"{where}: {error.message}" if where else error.message)
        return messages


class CIStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_USE = "in_use", "In use"
    MAINTENANCE = "maintenance", "Under maintenance"
    RETIRED = "retired", "Retired"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    TEST = "test", "Test"
    DEVELOPMENT = "development", "Development"


class Criticality(models.IntegerChoices):
    HIGHEST = 1, "1 – highest"
    HIGH = 2, "2 – high"
    MEDIUM = 3, "3 – medium"
    LOW = 4, "4 – low"


class ConfigurationItem(TimestampedModel, VersionedModel):
    """Anything IT runs and supports, from a business service down to a switch."""

    name = models.CharField(max_length=200)
    ci_class = models.ForeignKey(
        CIClass, on_delete=models.PROTECT, related_name="items", verbose_name="class"
    )
    status = models.CharField(max_length=20, choices=CIStatus.choices, default=CIStatus.IN_USE)
    environment = models.CharField(
        max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    criticality = models.PositiveSmallIntegerField(
        choices=Criticality.choices, default=Criticality.MEDIUM
    )
    supporting_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supported_cis",
        help_text="The technical, application or operations team that looks after it.",
    )
    service_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_cis",
    )
    vendor = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Who uses a service: whole departments (matched, in any case, against User.department)
    # and people who follow it themselves. Only business and technical services have users.
    consumer_departments = models.JSONField(
        default=list,
        blank=True,
        help_text="Departments whose people use this service (names as on user profiles).",
    )
    subscribers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="followed_services",
        help_text="People who follow this service and hear when it is disrupted.",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "configuration item"
        constraints = [
            models.UniqueConstraint(
                fields=["ci_class", "name"],
                name="cmdb_ci_unique_name_per_class",
                violation_error_message="A CI of this class with this name already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(criticality__gte=1, criticality__lte=4),
                name="cmdb_ci_criticality_1_to_4",
            ),
        ]
        indexes = [
            models.Index(fields=["ci_class", "status"], name="cmdb_ci_class_status"),
            models.Index(fields=["supporting_team", "status"], name="cmdb_ci_team_status"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_service(self) -> bool:
        return self.ci_class_id is not None and self.ci_class.is_service

    def clean(self):
        errors = {}
        problem = self._departments_problem()
        if problem:
            errors["consumer_departments"] = [problem]
        if self.supporting_team_id and self.supporting_team.type not in SUPPORTING_TEAM_TYPES:
            errors["supporting_team"] = [
                "Choose a technical, application or IT operations team; "
                f"{self.supporting_team} is a {self.supporting_team.get_type_display().lower()}."
            ]
        if not isinstance(self.attributes, dict):
            errors["attributes"] = ["Attributes must be a JSON object."]
        elif self.ci_class_id:
            problems = self.ci_class.attribute_errors(self.attributes)
            if problems:
                errors["attributes"] = problems
        if errors:
            raise ValidationError(errors)

    def _departments_problem(self) -> str:
        departments = self.consumer_departments
        if not isinstance(departments, list) or not all(isinstance(d, str) for d in departments):
            return "A list of department names."
        if not departments:
            return ""
        if self.ci_class_id and not self.ci_class.is_service:
            return (
                "Only business and technical services have users; "
                f"leave this empty for a {self.ci_class.name.lower()}."
            )
        if any(not d.strip() for d in departments):
            return "A department name cannot be empty."
        too_long = [d for d in departments if len(d) > DEPARTMENT_MAX_LENGTH]
        if too_long:
            return f"{too_long[0][:20]}…: at most {DEPARTMENT_MAX_LENGTH} characters."
        return ""


def normalise_departments(value):
    """Names stripped, blanks dropped, each department once (any case); non-lists as they are."""
    if not isinstance(value, list | tuple):
        return value
    seen, names = set(), []
    for name in value:
        if not isinstance(name, str):
            return list(value)  # left for clean() to refuse
        name = name.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


class RelationshipType(models.TextChoices):
    """How ``source`` relates to ``target``; read as a sentence: "ERP app runs on vm-12"."""

    DEPENDS_ON = "depends_on", "depends on"
    RUNS_ON = "runs_on", "runs on"
    HOSTED_ON = "hosted_on", "hosted on"
    CONNECTS_TO = "connects_to", "connects to"
    PART_OF = "part_of", "part of"
    BACKED_UP_BY = "backed_up_by", "backed up by"


# When the target fails, the source is affected ("app runs on vm": vm down, app down).
SOURCE_NEEDS_TARGET = (
    RelationshipType.DEPENDS_ON,
    RelationshipType.RUNS_ON,
    RelationshipType.HOSTED_ON,
    RelationshipType.CONNECTS_TO,
)
# When the source fails, the target is affected ("node part of cluster": node down, cluster
# degraded). A failed backup target does not stop what it backs up, so "backed up by" is
# kept for the record but never propagates impact.
TARGET_NEEDS_SOURCE = (RelationshipType.PART_OF,)


class Relationship(models.Model):
    """A typed, directed edge between two CIs. Cycles may exist; traversals are cycle-safe."""

    # Both ends are covered by the composite indexes below, so no single-column ones.
    source = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing", db_index=False
    )
    type = models.CharField(max_length=20, choices=RelationshipType.choices)
    target = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="incoming", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Also the index for walking from a source to its targets.
            models.UniqueConstraint(
                fields=["source", "target", "type"],
                name="cmdb_rel_unique",
                violation_error_message="These two CIs already have this relationship.",
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="cmdb_rel_no_self_loop",
                violation_error_message="A CI cannot have a relationship with itself.",
            ),
        ]
        # The other direction: impact analysis walks from a target back to its sources.
        indexes = [models.Index(fields=["target", "source", "type"], name="cmdb_rel_by_target")]

    def __str__(self):
        return f"{self.source} {self.get_type_display()} {self.target}"
