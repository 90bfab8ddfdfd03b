"""REST API of sla."""
