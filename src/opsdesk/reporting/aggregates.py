"""Percentiles with one definition on both databases: continuous, as PostgreSQL's
``percentile_cont`` (linear interpolation between the two nearest ranks).

PostgreSQL computes it natively. SQLite has no percentile aggregate, so opsdesk registers
``opsdesk_percentile_cont`` on every SQLite connection; it runs inside the query like any
aggregate, over the rows the query already filtered and grouped.
"""

import math

from django.db.models import Aggregate, FloatField, Value


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """The continuous percentile of ``values`` (unsorted); ``None`` for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class _SqlitePercentile:
    """The SQLite user aggregate: collects the group's non-null values, then interpolates."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        if value is not None:
            self.values.append(float(value))
        self.fraction = float(fraction)

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: adds the percentile aggregate to SQLite connections."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("opsdesk_percentile_cont", 2, _SqlitePercentile)


class Percentile(Aggregate):
    """``Percentile("resolve_seconds", 0.9)``: the p90 of the column over the group."""

    name = "Percentile"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile's fraction lies between 0 and 1")
        super().__init__(expression, Value(fraction), **extra)

    def as_postgresql(self, compiler, connection, **extra):
        expression, fraction = self.get_source_expressions()[:2]
        value_sql, value_params = compiler.compile(expression)
        fraction_sql, fraction_params = compiler.compile(fraction)
        sql = f"percentile_cont({fraction_sql}) WITHIN GROUP (ORDER BY {value_sql})"
        params = (*fraction_params, *value_params)
        if self.filter is not None:
            filter_sql, filter_params = compiler.compile(self.filter)
            sql += f" FILTER (WHERE {filter_sql})"
            params = (*params, *filter_params)
        return sql, params

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="opsdesk_percentile_cont", **extra)
