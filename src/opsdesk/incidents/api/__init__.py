"""REST API of incident management."""
