"""Demo on-call: a weekly rota for every team, out-of-hours cover, an override, escalation."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from opsdesk.core.models import Team
from opsdesk.oncall.models import EscalationPolicy, Schedule, StepTarget
from opsdesk.oncall.rotation import local_to_utc
from opsdesk.oncall.services import escalation_policy_create, override_create, schedule_create

LONDON = ZoneInfo("Europe/London")
# A Monday: weekly turns hand over on Mondays at 09:00 London time.
ROTA_START = datetime(2025, 1, 6, 9, 0, tzinfo=LONDON)
OUT_OF_HOURS_TEAMS = {"Network Operations", "IT Operations Centre"}
OUT_OF_HOURS = [
    {"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "08:00"},
    {"days": [5, 6], "start": "00:00", "end": "00:00"},
]
SCHEDULE_NAME = "Primary"
POLICY_NAME = "Default"


def _members(team: Team) -> list:
    people = list(team.members.filter(is_active=True).order_by("username"))
    # The lead is the last resort in the escalation policy, so they take the last turn.
    if team.lead in people:
        people.remove(team.lead)
        people.append(team.lead)
    return people


def _schedule(team: Team) -> Schedule | None:
    people = _members(team)
    if not people:
        return None
    layers = [
        {
            "name": "Weekly rota",
            "priority": 1,
            "turn": "weekly",
            "handoff_time": time(9, 0),
            "rotation_start": ROTA_START,
            "time_zone": "Europe/London",
            "participants": people,
        }
    ]
    if team.name in OUT_OF_HOURS_TEAMS and len(people) > 1:
        layers.append(
            {
                "name": "Out of hours",
                "priority": 2,
                "turn": "daily",
                "handoff_time": time(18, 0),
                "rotation_start": ROTA_START.replace(hour=18),
                "time_zone": "Europe/London",
                "restrictions": OUT_OF_HOURS,
                "participants": list(reversed(people[:-1])),
            }
        )
    return schedule_create(
        actor=None, team=team, name=SCHEDULE_NAME, time_zone="Europe/London", layers=layers
    )


def load(*, progress) -> None:
    made = 0
    for team in Team.objects.select_related("lead").order_by("name"):
        if not Schedule.objects.filter(team=team, name=SCHEDULE_NAME).exists():
            made += _schedule(team) is not None
        if (
            team.lead_id
            and not EscalationPolicy.objects.filter(team=team, name=POLICY_NAME).exists()
        ):
            escalation_policy_create(
                actor=None,
                team=team,
                name=POLICY_NAME,
                repeat=2,
                description="Page the on-call; after 15 minutes the team lead; twice more.",
                steps=[
                    {"target": StepTarget.TEAM_ON_CALL, "delay_minutes": 15},
                    {"target": StepTarget.TEAM_LEAD, "delay_minutes": 15},
                ],
            )
    progress(f"{made} on-call schedules added; every team has an escalation policy")

    desk = Schedule.objects.filter(team__name="Service Desk", name=SCHEDULE_NAME).first()
    if desk is not None and not desk.overrides.exists():
        people = _members(desk.team)
        tomorrow = timezone.now().astimezone(LONDON).date() + timedelta(days=1)
        override_create(
            actor=None,
            schedule=desk,
            user=people[0],
            start=local_to_utc(datetime.combine(tomorrow, time(12, 0)), LONDON),
            end=local_to_utc(datetime.combine(tomorrow, time(17, 0)), LONDON),
            note="Covering a dentist appointment",
        )
        progress(f"{people[0]} covers tomorrow afternoon on the Service Desk")
