from opsdesk.reporting.models.facts import AGE_BUCKETS, BacklogSnapshot, RecordFact
from opsdesk.reporting.models.improvement import ImprovementAction, ImprovementState

__all__ = [
    "AGE_BUCKETS",
    "BacklogSnapshot",
    "ImprovementAction",
    "ImprovementState",
    "RecordFact",
]
