"""opsdesk: self-hosted IT Service Management for ITIL Service Operation."""

__version__ = "0.1.0"
