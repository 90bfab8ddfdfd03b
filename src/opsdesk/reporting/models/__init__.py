from opsdesk.reporting.models.facts import AGE_BUCKETS, BacklogSnapshot, RecordFact
from opsdesk.reporting.models.reports import (
    SUBSCRIPTION_TRANSITIONS,
    Frequency,
    ReportSubscription,
    SavedReport,
    SubscriptionState,
    Weekday,
)

__all__ = [
    "AGE_BUCKETS",
    "SUBSCRIPTION_TRANSITIONS",
    "BacklogSnapshot",
    "Frequency",
    "RecordFact",
    "ReportSubscription",
    "SavedReport",
    "SubscriptionState",
    "Weekday",
]
