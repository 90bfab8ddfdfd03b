"""Incident management: restore normal service as fast as possible and limit business impact."""
