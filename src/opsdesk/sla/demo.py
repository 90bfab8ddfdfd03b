"""Demo SLAs: London business hours and 24x7 calendars, and incident policies P1–P5."""

from datetime import timedelta

from opsdesk.sla.models import BusinessCalendar, SlaPolicy
from opsdesk.sla.policies import calendar_create, policy_create

LONDON = "Business hours (London)"
ALWAYS = "24x7"
WEEKDAY_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
BUSINESS_DAY = timedelta(hours=10)  # one Mon–Fri 08:00–18:00 day

# (priority, response, response calendar, resolution, resolution calendar)
POLICIES = [
    ("P1", timedelta(minutes=15), ALWAYS, timedelta(hours=4), ALWAYS),
    ("P2", timedelta(minutes=30), ALWAYS, timedelta(hours=8), ALWAYS),
    ("P3", timedelta(hours=4), LONDON, 3 * BUSINESS_DAY, LONDON),
    ("P4", timedelta(hours=8), LONDON, 5 * BUSINESS_DAY, LONDON),
    ("P5", 2 * BUSINESS_DAY, LONDON, 10 * BUSINESS_DAY, LONDON),
]


def load(*, progress) -> None:
    calendars = {c.name: c for c in BusinessCalendar.objects.all()}
    if LONDON not in calendars:
        calendars[LONDON] = calendar_create(
            actor=None,
            name=LONDON,
            time_zone="Europe/London",
            working_hours=WEEKDAY_HOURS,
            holiday_country="GB",
            holiday_subdivision="ENG",
            description="Monday to Friday 08:00–18:00 UK time, closed on bank holidays in England.",
        )
    if ALWAYS not in calendars:
        calendars[ALWAYS] = calendar_create(
            actor=None,
            name=ALWAYS,
            time_zone="Europe/London",
            always_open=True,
            description="Around the clock, for the priorities that never wait.",
        )
    progress("2 business calendars")
    existing = set(SlaPolicy.objects.values_list("name", flat=True))
    for order, (priority, response, response_cal, resolution, resolution_cal) in enumerate(
        POLICIES, start=1
    ):
        name = f"Incident {priority}"
        if name in existing:
            continue
        policy_create(
            actor=None,
            name=name,
            order=order * 10,
            record_type="incident",
            conditions={"priority": [priority]},
            response_target=response,
            response_calendar=calendars[response_cal],
            resolution_target=resolution,
            resolution_calendar=calendars[resolution_cal],
            ola_target=resolution / 2,
            pause_states=["on_hold"],
        )
    progress(f"{len(POLICIES)} incident SLA policies (P1–P5), paused while on hold")
