"""How figures read: durations as "2 h 5 min", rates as "87.5%", counts with separators."""

from django import template
from django.utils.html import json_script

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


def percent_text(share: float) -> str:
    """A share as a percentage; close to all of it with two decimals, so 99.97% available
    does not read as a round 100.0%."""
    if 0.999 <= share < 1:
        return f"{share * 100:.2f}%"
    return f"{share * 100:.1f}%"


def figure_text(kind: str, column: str, value) -> str:
    """One value of a result row as people read it."""
    if value is None:
        return "—"
    if (kind == "duration" and column in ("mean", "median", "p90")) or column.endswith("_seconds"):
        return duration_text(value)
    if kind == "ratio" and column == "value":
        return percent_text(value)
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


@register.simple_tag
def cell_text(cell: dict) -> str:
    """A cell of a dashboard table (metric kind, column and value), formatted."""
    return figure_text(cell["kind"], cell["column"], cell["value"])


@register.simple_tag
def card_text(card: dict) -> str:
    return figure_text(card["metric"].kind, card["column"], card["value"])


@register.simple_tag
def target_text(card: dict) -> str:
    """A card's target as its figures read ("95.0%", "4 h")."""
    return figure_text(card["metric"].kind, card["column"], card["target"])


@register.simple_tag
def trend_text(card: dict) -> str:
    """How a figure moved against the previous period, in words: "up 12.5% (was 8)"."""
    trend = card.get("trend")
    previous = card.get("previous")
    if previous is None:
        return "No figure for the previous period"
    was = figure_text(card["metric"].kind, card["column"], previous)
    if trend is None or trend["direction"] == "same":
        return f"Same as the previous period ({was})"
    if card["metric"].kind == "ratio":
        amount = f"{abs(trend['change']) * 100:.1f} points"
    elif trend["ratio"] is not None:
        amount = f"{abs(trend['ratio']) * 100:.0f}%"
    else:
        amount = figure_text(card["metric"].kind, card["column"], abs(trend["change"]))
    return f"{trend['direction'].capitalize()} {amount} (was {was})"


@register.filter
def duration(seconds) -> str:
    return duration_text(seconds)


@register.filter
def get_item(mapping, key):
    """``mapping|get_item:key``: a value of a dict by a key held in a variable."""
    return (mapping or {}).get(key, "")


@register.simple_tag
def chart_data(chart: dict, element_id: str):
    """A chart's series as ``<script type="application/json">`` (dashboards.js draws it)."""
    return json_script(chart, element_id)


@register.simple_tag
def gauge_data(card: dict, panel_key: str, counter: int):
    """A gauge's value and target for dashboards.js, as JSON in the page."""
    metric = card["metric"]
    data = {
        "type": "gauge",
        "label": metric.label,
        "value": card["value"],
        "target": card["target"],
        "kind": metric.kind,
        "better": metric.better,
        "link": card["href"],
    }
    return json_script(data, f"gauge-{panel_key}-{counter}")


FIELD_LABELS = {
    "start": "From",
    "end": "To",
    "team": "Team",
    "service": "Service",
    "priority": "Priority",
    "record_type": "Record type",
    "group_by": "Grouping",
    "group": "Group",
    "metric": "Metric",
    "weekday": "Weekday",
    "hour": "Hour",
    "bucket": "Age bucket",
    "person": "Person",
    "ci": "Configuration item",
}


@register.filter
def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


@register.simple_tag
def improve_href(metric, board, filters) -> str:
    """Raise an improvement action on the register for ``metric``, scoped as the dashboard is."""
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch, reverse

    try:
        base = reverse("reporting:improvement-create")
    except NoReverseMatch:
        return ""
    query = {"metric_key": metric.key, "dashboard": board.slug}
    for name in ("team", "service", "priority", "record_type"):
        value = getattr(filters, name, None)
        if value not in (None, ""):
            query[name] = str(value)
    return f"{base}?{urlencode(query)}"
