"""Configuration management: services, configuration items, relationships, impact analysis."""
