from datetime import timedelta

import factory

from opsdesk.sla.models import BusinessCalendar, SlaPolicy

OFFICE_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


class CalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Office hours {n}")
    time_zone = "Europe/London"
    working_hours = OFFICE_HOURS


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    order = factory.Sequence(lambda n: n + 1)
    record_type = "incident"
    conditions = {}
    response_target = timedelta(hours=1)
    response_calendar = factory.SubFactory(CalendarFactory)
    resolution_target = timedelta(hours=8)
    resolution_calendar = factory.SelfAttribute("response_calendar")
    pause_states = ["on_hold"]
