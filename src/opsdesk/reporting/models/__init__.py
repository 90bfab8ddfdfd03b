from opsdesk.reporting.models.facts import AGE_BUCKETS, BacklogSnapshot, RecordFact
from opsdesk.reporting.models.holds import GroupHold
from opsdesk.reporting.models.improvement import ImprovementAction, ImprovementState
from opsdesk.reporting.models.service import ServiceHours

__all__ = [
    "AGE_BUCKETS",
    "BacklogSnapshot",
    "GroupHold",
    "ImprovementAction",
    "ImprovementState",
    "RecordFact",
    "ServiceHours",
]
