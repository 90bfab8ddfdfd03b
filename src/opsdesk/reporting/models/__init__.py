from opsdesk.reporting.models.events import EventCount, RollupMark
from opsdesk.reporting.models.facts import AGE_BUCKETS, BacklogSnapshot, RecordFact
from opsdesk.reporting.models.holds import GroupHold
from opsdesk.reporting.models.improvement import ImprovementAction, ImprovementState
from opsdesk.reporting.models.reports import (
    SUBSCRIPTION_TRANSITIONS,
    Frequency,
    ReportSubscription,
    SavedReport,
    SubscriptionState,
    Weekday,
)
from opsdesk.reporting.models.service import ServiceHours

__all__ = [
    "AGE_BUCKETS",
    "SUBSCRIPTION_TRANSITIONS",
    "BacklogSnapshot",
    "EventCount",
    "Frequency",
    "GroupHold",
    "ImprovementAction",
    "ImprovementState",
    "RecordFact",
    "ReportSubscription",
    "RollupMark",
    "SavedReport",
    "ServiceHours",
    "SubscriptionState",
    "Weekday",
]
