from opsdesk.reporting.models.facts import AGE_BUCKETS, BacklogSnapshot, RecordFact
from opsdesk.reporting.models.holds import GroupHold

__all__ = ["AGE_BUCKETS", "BacklogSnapshot", "GroupHold", "RecordFact"]
