"""``{% sla_clocks record %}`` renders a record's SLA clocks with ``sla/_timers.html``."""

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from opsdesk.core import search
from opsdesk.sla.hold_reasons import hold_reason_label, state_label
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
def hold_reasons(values, record_type=None):
    """A policy's pause reasons by their labels: "Awaiting caller, Awaiting change"."""
    return ", ".join(hold_reason_label(value, record_type) for value in values or [])


@register.filter
def pause_states(values, record_type=None):
    """A policy's pause states by their labels: "On hold"."""
    return ", ".join(state_label(value, record_type) for value in values or [])


@register.filter
def record_type_label(key):
    """ "Incident" for "incident": the label the record type registered for search."""
    try:
        return search.record_type(key).label
    except KeyError:
        return str(key).replace("_", " ").capitalize()


CONDITION_LABELS = {
    "priority": "Priority",
    "service_id": "Service",
    "ci_criticality": "CI criticality",
    "caller_vip": "VIP caller",
    "department": "Caller department",
}


@register.filter
def policy_conditions(conditions) -> list[str]:
    """Each condition as a phrase a person reads: "Priority: P1, P2", "VIP caller: yes"."""
    from opsdesk.cmdb.models import ConfigurationItem

    phrases = []
    for key, value in (conditions or {}).items():
        label = CONDITION_LABELS.get(key, key.replace("_", " ").capitalize())
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif key == "service_id":
            names = ConfigurationItem.objects.filter(pk__in=value).values_list("name", flat=True)
            text = ", ".join(sorted(names)) or "a removed service"
        else:
            text = ", ".join(str(v) for v in (value if isinstance(value, list) else [value]))
        phrases.append(f"{label}: {text}")
    return phrases


@register.filter
def iso_datetime(value):
    """A moment kept as ISO text in a history line's data, as a datetime to format."""
    if not value:
        return None
    return parse_datetime(value) if isinstance(value, str) else value
