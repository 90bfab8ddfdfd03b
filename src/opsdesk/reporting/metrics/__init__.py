"""The metric registry: every metric reporting computes, by key.

Each module below registers its metrics with ``register``; ``compute`` runs one with
filters and gives its groups their labels. A module per family keeps each family's
definitions, and the edge cases ``METRICS.md`` names, in one place.
"""

from __future__ import annotations

from opsdesk.reporting.metrics.base import FilterError, Filters, Metric, Result
from opsdesk.reporting.metrics.labels import label_rows

_METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    _METRICS[metric.key] = metric
    return metric


def metric(key: str) -> Metric:
    _load()
    return _METRICS[key]


def all_metrics() -> list[Metric]:
    _load()
    return list(_METRICS.values())


def compute(key: str, filters: Filters) -> Result:
    """One metric over the filters, each group labelled."""
    found = metric(key)
    result = found.compute(filters)
    result.rows = label_rows(result.rows, filters.group_by)
    return result


_loaded = False


def _load() -> None:
    """Import the families once (they import this module to register)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from opsdesk.reporting.metrics import (  # noqa: F401
        events,
        records,
        service,
        sla,
        tickets,
    )


__all__ = ["FilterError", "Filters", "Metric", "Result", "all_metrics", "compute", "metric"]
