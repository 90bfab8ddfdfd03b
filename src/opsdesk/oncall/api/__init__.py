"""REST API of oncall."""
