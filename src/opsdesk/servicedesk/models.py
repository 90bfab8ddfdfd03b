"""The service desk's own records: mailboxes and mail that could not be processed, knowledge
articles with their categories, revisions, votes, deflections and incident links, canned
responses and satisfaction surveys.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from opsdesk.core.models import NumberedModel, Team, TimestampedModel, VersionedModel
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets.registry import ticket_type


def new_token() -> str:
    return secrets.token_urlsafe(32)


class UnknownSender(models.TextChoices):
    CREATE = "create", "Create a contact"
    REJECT = "reject", "Reject (list as unprocessed)"


class Mailbox(TimestampedModel, VersionedModel):
    """An address the service desk receives mail at, and how the mail gets in."""

    name = models.SlugField(max_length=50, unique=True)
    address = models.EmailField(help_text="The address people write to, e.g. servicedesk@…")
    active = models.BooleanField(default=True)
    unknown_sender = models.CharField(
        max_length=10, choices=UnknownSender.choices, default=UnknownSender.CREATE
    )
    assignment_group = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where new tickets go when no assignment rule matches.",
    )
    # Mail gateways post raw messages with this token: Authorization: Bearer <token>.
    inbound_token = models.CharField(max_length=100, default=new_token)
    imap_enabled = models.BooleanField("Poll over IMAP", default=False)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_username = models.CharField(max_length=255, blank=True)
    imap_password = models.CharField(max_length=255, blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    imap_verify_tls = models.BooleanField(
        "Verify the server certificate", default=True, help_text="Turn off only for testing."
    )
    # IMAP UIDs are only meaningful within one UIDVALIDITY; a change means start over.
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    imap_last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    imap_last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self):
        return self.name


class UnprocessedStatus(models.TextChoices):
    NEW = "new", "Waiting for a person"
    PROCESSED = "processed", "Processed after all"
    DISMISSED = "dismissed", "Dismissed"


class UnprocessedMail(models.Model):
    """Mail that did not become or join a ticket, kept whole with the reason."""

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="unprocessed"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=500)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    raw = models.BinaryField()
    status = models.CharField(
        max_length=12, choices=UnprocessedStatus.choices, default=UnprocessedStatus.NEW
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "unprocessed mail"

    def __str__(self):
        return f"{self.subject or '(no subject)'} — {self.reason}"


class Audience(models.TextChoices):
    PUBLIC = "public", "Everyone"
    INTERNAL = "internal", "Agents only"


class ArticleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class ArticleKind(models.TextChoices):
    ARTICLE = "article", "Article"
    # Written from a problem's known error when it is published; kept in step with it.
    KNOWN_ERROR = "known_error", "Known error"


class ArticleCategory(TimestampedModel, VersionedModel):
    """A shelf of the knowledge base; categories nest, e.g. Software > Email."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "article categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                condition=Q(parent__isnull=False),
                name="kb_category_unique_in_parent",
                violation_error_message="A category with this name already exists here.",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="kb_category_unique_top_level",
                violation_error_message="A category with this name already exists here.",
            ),
        ]

    def __str__(self):
        return " > ".join(c.name for c in self.ancestry())

    def ancestry(self) -> list["ArticleCategory"]:
        """From the top-level category down to this one."""
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def clean(self):
        node = self.parent
        while node is not None:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": "A category cannot sit inside itself."})
            node = node.parent


class KnowledgeArticle(TimestampedModel, VersionedModel, NumberedModel):
    NUMBER_PREFIX = "KB"

    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="knowledge_articles",
    )
    category = models.ForeignKey(
        ArticleCategory,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    keywords = models.CharField(max_length=500, blank=True, help_text="Comma-separated.")
    state = models.CharField(
        max_length=10, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    kind = models.CharField(max_length=20, choices=ArticleKind.choices, default=ArticleKind.ARTICLE)
    # The problem a known-error article is published from: publishing again updates it.
    problem = models.OneToOneField(
        "problems.Problem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="knowledge_article",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["state", "audience"], name="kb_state_audience")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def is_visible_to(self, user) -> bool:
        """Agents read everything; others only published articles meant for everyone."""
        if is_agent(user):
            return True
        return (
            getattr(user, "is_authenticated", False)
            and self.state == ArticleState.PUBLISHED
            and self.audience == Audience.PUBLIC
        )


class ArticleRevision(models.Model):
    """What an article said at each version, so an edit can always be traced."""

    article = models.ForeignKey(
        KnowledgeArticle, on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="kb_revision_unique")
        ]

    def __str__(self):
        return f"{self.article.number} v{self.version}"


class ArticleVote(models.Model):
    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="kb_one_vote_per_user")
        ]

    def __str__(self):
        return f"{'Helpful' if self.helpful else 'Not helpful'}: {self.article.number}"


class Deflection(models.Model):
    """A requester read an article from the report form and left without opening a ticket."""

    article = models.ForeignKey(
        KnowledgeArticle, on_delete=models.CASCADE, related_name="deflections"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"Deflected by {self.article.number}"


class ArticleIncidentLink(models.Model):
    """An incident resolved with this article: counts toward first-contact resolution."""

    article = models.ForeignKey(
        KnowledgeArticle, on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="article_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["article", "incident"], name="kb_link_once")]

    def __str__(self):
        return f"{self.incident} resolved with {self.article.number}"


class CannedResponse(TimestampedModel, VersionedModel):
    """A reply agents insert and adjust; a team's own replies sit next to the global ones."""

    title = models.CharField(max_length=100)
    body = models.TextField(
        help_text="Placeholders: {{ caller.first_name }}, {{ caller.name }}, "
        "{{ incident.number }}, {{ incident.short_description }}, {{ agent.name }}."
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: every agent may use it.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            # Two partial constraints instead of NULLS NOT DISTINCT, which SQLite lacks: a
            # title is unique within a team, and among the global responses.
            models.UniqueConstraint(
                fields=["title", "team"],
                condition=models.Q(team__isnull=False),
                name="canned_unique_title_per_team",
                violation_error_message="A canned response with this title already exists.",
            ),
            models.UniqueConstraint(
                fields=["title"],
                condition=models.Q(team__isnull=True),
                name="canned_unique_global_title",
                violation_error_message="A canned response with this title already exists.",
            ),
        ]

    def __str__(self):
        return self.title


class Survey(models.Model):
    """One satisfaction survey per ticket, answered once through a signed link.

    The ticket is any registered record type that asks for feedback (``survey_states``),
    named by its record type key and id, so a new record type needs no column here.
    """

    record_type = models.CharField(max_length=40)
    record_id = models.PositiveBigIntegerField()
    number = models.CharField(max_length=20, blank=True)
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
            models.UniqueConstraint(
                fields=["record_type", "record_id"], name="survey_once_per_ticket"
            ),
        ]

    def __str__(self):
        return f"Survey for {self.number or self.record_id}"

    @property
    def record(self):
        """The ticket surveyed, through the registry; None once its record type is gone."""
        try:
            kind = ticket_type(self.record_type)
        except KeyError:
            return None
        return kind.model._default_manager.filter(pk=self.record_id).first()

    @property
    def answered(self) -> bool:
        return self.answered_at is not None
