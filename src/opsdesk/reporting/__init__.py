"""Reporting: the metrics of Service Operation, dashboards, exports and ``/metrics``."""
