from opsdesk.reporting.models.facts import AGE_BUCKETS, BacklogSnapshot, RecordFact

__all__ = ["AGE_BUCKETS", "BacklogSnapshot", "RecordFact"]
