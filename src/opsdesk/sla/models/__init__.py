"""SLA models: business calendars, policies (first match wins) and timers with their history."""

from opsdesk.sla.models.calendars import BusinessCalendar
from opsdesk.sla.models.policies import ConfigStamp, SlaPolicy
from opsdesk.sla.models.timers import SlaTimer, TimerEvent, TimerEventKind, TimerKind, TimerState

__all__ = [
    "BusinessCalendar",
    "ConfigStamp",
    "SlaPolicy",
    "SlaTimer",
    "TimerEvent",
    "TimerEventKind",
    "TimerKind",
    "TimerState",
]
