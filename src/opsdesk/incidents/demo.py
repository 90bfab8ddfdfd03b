"""Demo incidents: about 2,000 over the last 90 days, so queues and later dashboards look alive.

Volume calls for bulk inserts: rows, their metric timestamps and their state-change timeline
entries are written directly, in one transaction, with numbers taken as one block from the INC
sequence. Configuration (categories, a few assignment rules) goes in first. It adds only what is
missing: a second run tops up to the target count.
"""

import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from opsdesk.core.models import NumberSequence, Team, TimelineEntry, TimelineKind, User
from opsdesk.core.numbering import DIGITS, number_next
from opsdesk.core.roles import Role
from opsdesk.incidents import clocks
from opsdesk.incidents.models import (
    OPEN_STATES,
    AssignmentRule,
    Category,
    Channel,
    HoldReason,
    Incident,
    PostIncidentReview,
    PriorityMatrixRow,
    ResolutionCode,
    State,
)
from opsdesk.sla.services import sla_check_due

TARGET = 2000
DAYS = 90

# category -> (subcategories, the group that takes them, typical complaints)
CATALOGUE = {
    "Hardware": (
        ["Laptop", "Printer", "Monitor"],
        "Service Desk",
        ["{} will not power on", "{} is very slow", "{} makes a grinding noise"],
    ),
    "Software": (
        ["Email", "Office apps", "Browser"],
        "Collaboration Apps",
        ["{} crashes on start", "Cannot open attachments in {}", "{} keeps freezing"],
    ),
    "Network": (
        ["Wi-Fi", "VPN", "LAN"],
        "Network Operations",
        ["{} keeps dropping", "No {} connection on floor 3", "{} is very slow today"],
    ),
    "Access": (
        ["Password reset", "Permissions", "MFA"],
        "Identity & Access",
        ["{} needed for the finance share", "{} not working after the holidays", "Locked out: {}"],
    ),
    "Business applications": (
        ["ERP", "Payroll", "CRM"],
        "ERP Applications",
        ["{} report shows wrong totals", "{} times out on save", "Cannot log in to {}"],
    ),
    "Infrastructure": (
        ["Server", "Storage", "Database"],
        "Server & Storage",
        ["{} disk almost full", "{} not responding", "{} backup failed"],
    ),
}
CHANNELS = [
    (Channel.EMAIL, 35),
    (Channel.PORTAL, 25),
    (Channel.PHONE, 20),
    (Channel.EVENT, 8),
    (Channel.CHAT, 7),
    (Channel.WALK_IN, 3),
    (Channel.API, 2),
]
IMPACT_WEIGHTS = [8, 30, 62]
URGENCY_WEIGHTS = [10, 35, 55]
# Typical hours to resolve, by priority (log-normal around these).
RESOLVE_HOURS = {1: 3, 2: 8, 3: 24, 4: 48, 5: 96}
RESPONSE_MINUTES = {1: 5, 2: 15, 3: 45, 4: 90, 5: 180}


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _opened_moment(rng, now):
    """Weekdays in office hours mostly; some evenings and weekends."""
    while True:
        moment = now - timedelta(days=rng.uniform(0, DAYS))
        hour_ok = 7 <= moment.hour < 19 or rng.random() < 0.15
        day_ok = moment.weekday() < 5 or rng.random() < 0.2
        if hour_ok and day_ok:
            return moment


def _categories(progress) -> dict[str, tuple[Category, list[Category]]]:
    tree = {}
    for name, (subs, _, _) in CATALOGUE.items():
        parent, _ = Category.objects.get_or_create(parent=None, name=name)
        children = [Category.objects.get_or_create(parent=parent, name=s)[0] for s in subs]
        tree[name] = (parent, children)
    progress(f"{Category.objects.count()} incident categories")
    return tree


def _rules(tree, teams) -> None:
    if AssignmentRule.objects.exists():
        return
    for order, (name, (_, group, _)) in enumerate(CATALOGUE.items(), start=1):
        if group in teams:
            AssignmentRule.objects.create(
                name=f"{name} to {group}",
                order=order * 10,
                category=tree[name][0],
                assignment_group=teams[group],
            )
    if "Network Operations" in teams:
        AssignmentRule.objects.create(
            name="VPN keywords",
            order=5,
            keywords="vpn, tunnel",
            assignment_group=teams["Network Operations"],
            auto_assign="least_loaded",
        )


def _number_block(count: int) -> int:
    """Reserve ``count`` numbers at once; returns the first. Call inside a transaction."""
    first = int(number_next(prefix=Incident.NUMBER_PREFIX)[len(Incident.NUMBER_PREFIX) :])
    NumberSequence.objects.filter(prefix=Incident.NUMBER_PREFIX).update(
        last_value=F("last_value") + count - 1
    )
    return first


def _business_services():
    try:
        from opsdesk.cmdb.models import BUSINESS_SERVICE, ConfigurationItem
    except ImportError:  # the CMDB demo is optional
        return [], []
    services = list(ConfigurationItem.objects.filter(ci_class__key=BUSINESS_SERVICE)[:50])
    cis = list(ConfigurationItem.objects.exclude(ci_class__key=BUSINESS_SERVICE)[:300])
    return services, cis


def load(*, progress) -> None:
    teams = {t.name: t for t in Team.objects.prefetch_related("members")}
    tree = _categories(progress)
    _rules(tree, teams)
    missing = TARGET - Incident.objects.count()
    if missing <= 0:
        progress(f"{Incident.objects.count()} incidents already there")
        return
    callers = list(User.objects.filter(groups__name=str(Role.REQUESTER), is_active=True))
    if not callers or not teams:
        progress("incidents skipped: run the core demo first (people and teams)")
        return
    managers = list(User.objects.filter(groups__name=str(Role.TEAM_LEAD)))
    members = {name: list(team.members.all()) for name, team in teams.items()}
    matrix = {(r.impact, r.urgency): r.priority for r in PriorityMatrixRow.objects.all()}
    codes = {c.key: c for c in ResolutionCode.objects.all()}
    services, cis = _business_services()
    rng = random.Random(4242)
    now = timezone.now()

    with transaction.atomic():
        first = _number_block(missing)
        rows, stories = [], []
        for index in range(missing):
            incident, story = _make(
                rng, now, first + index, tree, teams, members, callers, matrix, codes, services, cis
            )
            rows.append(incident)
            stories.append(story)
        created = Incident.objects.bulk_create(rows, batch_size=500)
        progress(f"{len(created)} incidents written")
        # bulk_create stamps created_at and updated_at with "now"; the history says otherwise.
        Incident.objects.filter(pk__in=[i.pk for i in created]).update(
            created_at=F("opened_at"),
            updated_at=Coalesce("closed_at", "resolved_at", "first_response_at", "opened_at"),
        )
        _timelines(created, stories)
        _affected_services(created)
        _majors(rng, created, managers, now)
        _clocks(created, now)
    still_open = Incident.objects.filter(state__in=OPEN_STATES).count()
    progress(f"{Incident.objects.count()} incidents in all; {still_open} open")


def _make(rng, now, number, tree, teams, members, callers, matrix, codes, services, cis):
    category_name = rng.choice(list(CATALOGUE))
    _subs, group_name, phrases = CATALOGUE[category_name]
    parent, children = tree[category_name]
    sub = rng.choice(children)
    impact = rng.choices([1, 2, 3], weights=IMPACT_WEIGHTS)[0]
    urgency = rng.choices([1, 2, 3], weights=URGENCY_WEIGHTS)[0]
    priority = matrix.get((impact, urgency), min(5, impact + urgency - 1))
    channel = _weighted(rng, CHANNELS)
    opened = _opened_moment(rng, now)
    group = teams.get(group_name) or teams.get("Service Desk") or next(iter(teams.values()))
    people = members.get(group.name) or [None]
    assignee = rng.choice(people)
    caller = rng.choice(callers)
    story = [(opened, "system", None, "new", "")]
    values = dict(
        number=f"{Incident.NUMBER_PREFIX}{number:0{DIGITS}d}",
        short_description=rng.choice(phrases).format(sub.name)[:200],
        description=f"Reported by {caller} via {channel}.",
        caller=caller,
        opened_by=_opened_by(channel, caller, assignee),
        channel=channel,
        category=parent,
        subcategory=sub,
        impact=impact,
        urgency=urgency,
        priority=priority,
        assignment_group=group,
        opened_at=opened,
        created_at=opened,
        state=State.NEW,
        service=rng.choice(services) if services and rng.random() < 0.6 else None,
        ci=rng.choice(cis) if cis and rng.random() < 0.3 else None,
    )
    age_hours = (now - opened).total_seconds() / 3600
    response = timedelta(minutes=rng.lognormvariate(0, 0.8) * RESPONSE_MINUTES[priority])
    resolve = timedelta(hours=rng.lognormvariate(0, 0.9) * RESOLVE_HOURS[priority])
    moment = opened
    # Some fresh calls are still waiting in the group's queue.
    waiting = age_hours < 48 and rng.random() < 0.3
    if not waiting and age_hours * 60 > response.total_seconds() / 60 and assignee is not None:
        moment = opened + response
        values.update(
            first_response_at=moment,
            first_assigned_at=moment,
            assignee=assignee,
            state=State.IN_PROGRESS,
        )
        if channel == Channel.EVENT or priority <= 2:
            values["acknowledged_at"] = moment
        story.append((moment, "state_change", "new", "in_progress", ""))
        story.append((moment, "comment", None, None, "Thanks, we are looking into it."))
        if rng.random() < 0.12 and opened + resolve / 2 < now:
            held = opened + resolve / 3
            back = opened + resolve / 2
            story.append((held, "state_change", "in_progress", "on_hold", "Awaiting the caller."))
            if back < now - timedelta(hours=1) or rng.random() < 0.5:
                story.append((back, "state_change", "on_hold", "in_progress", ""))
            else:
                values.update(state=State.ON_HOLD, hold_reason=rng.choice(HoldReason.values))
    # A few wait for weeks on a vendor or a problem fix: the backlog that ages.
    stuck = rng.random() < 0.03
    if values["state"] == State.IN_PROGRESS and opened + resolve < now and not stuck:
        if rng.random() < 0.03:
            values.update(state=State.CANCELLED, closed_at=opened + resolve)
            story.append(
                (opened + resolve, "state_change", "in_progress", "cancelled", "Raised twice.")
            )
        else:
            resolved = opened + resolve
            code = codes.get(
                rng.choices(
                    ["solved_permanently", "workaround_applied", "user_error", "not_reproducible"],
                    weights=[60, 25, 10, 5],
                )[0]
            )
            values.update(
                state=State.RESOLVED,
                resolved_at=resolved,
                first_resolved_at=resolved,
                resolution_code=code,
                resolution_notes="Fixed and confirmed.",
            )
            story.append(
                (resolved, "state_change", "in_progress", "resolved", "Fixed and confirmed.")
            )
            if rng.random() < 0.05 and resolved + timedelta(hours=4) < now:
                again = resolved + timedelta(hours=rng.uniform(1, 4))
                fixed = again + resolve / 2
                values.update(reopen_count=1, resolved_at=min(fixed, now))
                story.append(
                    (again, "state_change", "resolved", "in_progress", "Caller says it is back.")
                )
                story.append(
                    (min(fixed, now), "state_change", "in_progress", "resolved", "Fixed for good.")
                )
            closes = values["resolved_at"] + timedelta(days=3)
            if closes < now:
                values.update(state=State.CLOSED, closed_at=closes)
                story.append((closes, "state_change", "resolved", "closed", ""))
    if values["state"] == State.IN_PROGRESS and (stuck or rng.random() < 0.2):
        held = moment + timedelta(minutes=rng.uniform(5, 120))
        if held < now:
            reason = rng.choice(HoldReason.values)
            values.update(state=State.ON_HOLD, hold_reason=reason)
            story.append(
                (held, "state_change", "in_progress", "on_hold", HoldReason(reason).label + ".")
            )
    return Incident(**values), story


def _opened_by(channel, caller, agent):
    if channel == Channel.EVENT:
        return None
    return caller if channel in (Channel.PORTAL, Channel.EMAIL) else agent


def _timelines(created, stories) -> None:
    incident_type = ContentType.objects.get_for_model(Incident)
    entries = []
    for incident, story in zip(created, stories, strict=True):
        for moment, kind, old, new, body in story:
            data = {} if kind == "comment" else {"field": "state", "from": old, "to": new}
            entries.append(
                TimelineEntry(
                    content_type=incident_type,
                    object_id=str(incident.pk),
                    created_at=moment,
                    kind=TimelineKind.STATE_CHANGE if kind == "state_change" else kind,
                    author=incident.assignee if kind == "comment" else None,
                    body=body,
                    data=data,
                )
            )
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)


def _affected_services(created) -> None:
    through = Incident.affected_services.through
    through.objects.bulk_create(
        [
            through(incident_id=i.pk, configurationitem_id=i.service_id)
            for i in created
            if i.service_id
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def _majors(rng, created, managers, now) -> None:
    """A few P1s were major incidents; those that are over have a post-incident review."""
    p1s = [i for i in created if i.priority == 1][:4]
    for incident in p1s:
        incident.is_major = True
        incident.major_incident_manager = rng.choice(managers) if managers else None
        incident.major_declared_at = incident.opened_at + timedelta(minutes=10)
        incident.update_cadence_minutes = 30
        incident.major_summary = incident.short_description
        if incident.resolved_at:
            incident.major_ended_at = incident.resolved_at
            incident.outage_start = incident.opened_at
            incident.outage_end = incident.resolved_at
        else:
            incident.next_update_due = now + timedelta(minutes=30)
    Incident.objects.bulk_update(
        p1s,
        [
            "is_major",
            "major_incident_manager",
            "major_declared_at",
            "update_cadence_minutes",
            "major_summary",
            "major_ended_at",
            "outage_start",
            "outage_end",
            "next_update_due",
        ],
    )
    PostIncidentReview.objects.bulk_create(
        [
            PostIncidentReview(
                incident=i,
                summary=i.major_summary,
                outage_start=i.outage_start,
                outage_end=i.outage_end,
            )
            for i in p1s
            if i.major_ended_at
        ]
    )


def _clocks(created, now) -> None:
    """Open incidents get SLA clocks from the moment they opened, so the record pages and the
    breaching-soon queue show real deadlines; one check then marks what is already breached."""
    opened = [i for i in created if i.state in OPEN_STATES]
    for incident in Incident.objects.filter(pk__in=[i.pk for i in opened]).select_related(
        "caller", "ci"
    ):
        clocks.incident_opened(incident=incident, at=incident.opened_at)
        if incident.first_response_at:
            clocks.incident_responded(incident=incident, at=incident.first_response_at)
        if incident.state == State.ON_HOLD:
            clocks.incident_state_changed(
                incident=incident,
                from_state=State.IN_PROGRESS,
                to_state=State.ON_HOLD,
                at=incident.first_response_at or incident.opened_at,
            )
    sla_check_due(now=now)
