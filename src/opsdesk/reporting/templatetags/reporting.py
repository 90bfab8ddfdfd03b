"""How figures read: durations as "2 h 5 min", rates as "87.5%", counts with separators."""

from django import template

register = template.Library()


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def figure_text(kind: str, column: str, value) -> str:
    """One value of a result row as people read it."""
    if value is None:
        return "—"
    if (kind == "duration" and column in ("mean", "median", "p90")) or column.endswith("_seconds"):
        return duration_text(value)
    if kind == "ratio" and column == "value":
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.simple_tag
def figure(result, row: dict, column: str) -> str:
    """``{% figure result row "mean" %}``: a value of one of the result's rows, formatted."""
    return figure_text(result.metric.kind, column, (row or {}).get(column))


@register.simple_tag
def figure_value(metric, column: str, value) -> str:
    """A bare value (a target) in the metric's units."""
    return figure_text(metric.kind, column, value)
