"""Test helpers every domain reuses: factories, API clients per role, and base suites."""
