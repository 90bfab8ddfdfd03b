"""REST API of servicedesk."""
