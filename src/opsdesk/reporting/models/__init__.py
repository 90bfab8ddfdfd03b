from opsdesk.reporting.models.facts import AGE_BUCKETS, BacklogSnapshot, RecordFact
from opsdesk.reporting.models.service import ServiceHours

__all__ = ["AGE_BUCKETS", "BacklogSnapshot", "RecordFact", "ServiceHours"]
