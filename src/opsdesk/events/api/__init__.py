"""REST API of events."""
