"""Event management: ingest monitoring events, de-duplicate, correlate, suppress, heartbeats."""
