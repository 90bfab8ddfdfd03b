"""Core models; every ticket-like record in opsdesk is built from the mixins in base.py."""

from opsdesk.core.models.attachments import Attachment
from opsdesk.core.models.audit import AuditEntry
from opsdesk.core.models.base import NumberedModel, TimestampedModel, VersionedModel
from opsdesk.core.models.filters import SavedFilter
from opsdesk.core.models.forms import FormAnswer, FormSchema
from opsdesk.core.models.links import RecordLink
from opsdesk.core.models.mail import MailDirection, MailMessageRecord
from opsdesk.core.models.numbering import NumberSequence
from opsdesk.core.models.outbox import OutboxEvent
from opsdesk.core.models.teams import Team, TeamType
from opsdesk.core.models.tickets import (
    HistoryChange,
    Task,
    TaskState,
    Ticket,
    TicketHistory,
)
from opsdesk.core.models.timeline import TimelineEntry, TimelineKind
from opsdesk.core.models.tokens import ApiToken
from opsdesk.core.models.users import User

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "FormAnswer",
    "FormSchema",
    "HistoryChange",
    "MailDirection",
    "MailMessageRecord",
    "NumberSequence",
    "NumberedModel",
    "OutboxEvent",
    "RecordLink",
    "SavedFilter",
    "Task",
    "TaskState",
    "Team",
    "TeamType",
    "Ticket",
    "TicketHistory",
    "TimelineEntry",
    "TimelineKind",
    "TimestampedModel",
    "User",
    "VersionedModel",
]
