"""Tests for opsdesk."""
