"""``{% sla_clocks record %}`` renders a record's SLA clocks with ``sla/_timers.html``."""

from django import template
from django.utils import timezone

from opsdesk.sla.selectors import sla_clock_panel

register = template.Library()


@register.inclusion_tag("sla/_timers.html")
def sla_clocks(record):
    return {"sla_clocks": sla_clock_panel(record=record, now=timezone.now())}


@register.filter
def business_duration(value):
    """A timedelta as "2 d 3 h 15 min" (negative values as overdue time)."""
    if value is None:
        return "—"
    seconds = int(abs(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    text = " ".join(p for p in parts if p) if (days or hours or minutes) else "0 min"
    return text


@register.filter
def as_words(value) -> str:
    """Stored identifiers (a state such as "on_hold", a condition such as "caller_vip") as
    words; a list reads as a comma-separated phrase. The SLA engine does not know the record
    types' own labels, so it says the identifier plainly."""
    items = value if isinstance(value, list | tuple) else [value]
    return ", ".join(str(item).replace("_", " ").capitalize() for item in items if item != "")
