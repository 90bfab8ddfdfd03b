"""Demo incidents: about 2,000 over the last 90 days, so queues and later dashboards look alive.

Volume calls for bulk inserts: rows, their metric timestamps and their state-change timeline
entries are written directly, in one transaction, with numbers taken as one block from the INC
sequence. Configuration (categories, a few assignment rules) goes in first. It adds only what is
missing: a second run tops up to the target count.

Each incident is drawn from ``TEMPLATES``, the kinds of call Larkfield Home's service desk gets
(the story is in ``opsdesk.core.demo``): a template fixes what must fit together, so a printer
call is on Printing, about the printer in the caller's office, at low priority, and a full disk
on a mail server comes from monitoring to Server & Storage. ``MAJORS`` are the major incidents.
One template is a recurring failure that was fixed: Customer Care's calls about customers'
replies lost on the way to the support portal stop ``SUPPORT_MAIL_FIX_DAYS_AGO`` days ago, when
its problem (``opsdesk.reporting.demo``) was fixed.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from opsdesk.core.models import NumberSequence, Team, TimelineEntry, TimelineKind, User
from opsdesk.core.models.tickets import Task
from opsdesk.core.numbering import DIGITS, number_next
from opsdesk.core.roles import Role
from opsdesk.core.tickets.backfill import history_rebuild
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.tickets.services import ticket_create, ticket_transition_step
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

ANYONE = "anyone"  # any office worker, wherever they sit
MONITORING = "monitoring"  # raised by monitoring, not by a person
MONITORING_USERNAME = "monitoring"  # the service account monitoring's incidents are called by

DESK = "Service Desk"
COLLAB = "Collaboration Apps"
NET = "Network Operations"
IAM = "Identity & Access"
ERP = "ERP Applications"
SS = "Server & Storage"
DBA = "Database Administration"


@dataclass(frozen=True)
class Template:
    """One kind of call, with everything that has to fit together on its incidents.

    ``service`` is a business service of the CMDB demo and every CI in ``cis`` is among the CIs it
    depends on; ``callers`` is ``ANYONE``, ``MONITORING`` or the departments that use the
    service. With ``local`` the CI is one at the caller's office (their printer, their Wi-Fi),
    or none when their office has none. ``{ci}`` and ``{department}`` fill in the summary.
    """

    category: str
    subcategory: str
    summaries: tuple[str, ...]
    service: str
    group: str
    callers: str | tuple[str, ...]
    impacts: tuple[int, ...]
    urgencies: tuple[int, ...]
    weight: int
    cis: tuple[str, ...] = ()
    local: bool = False
    # A failure that was fixed: its calls stop this many days ago (0: they still come in).
    until_days_ago: float = 0


SUPPORT_MAIL_FIX_DAYS_AGO = 40
SUPPORT_MAIL_SUMMARIES = (
    "Customer replies not arriving in the support portal",
    "Customer replies with attachments never reach the support portal",
    "Customer says they replied twice but the case shows nothing",
    "Customers' replies bounce back from the support portal",
)
PRINTERS = ("lon-print-2f", "lon-print-3f", "man-print-dc-01", "dub-print-01", "ber-print-01")
TEMPLATES = [
    # Hardware: the Service Desk, low priority, anyone in the offices.
    Template(
        "Hardware",
        "Laptop",
        (
            "Laptop will not power on",
            "Laptop battery runs flat within an hour",
            "Laptop is very slow since the last update",
            "Several keys on my laptop keyboard stopped working",
        ),
        "Workplace devices",
        DESK,
        ANYONE,
        (3,),
        (2, 3, 3),
        9,
    ),
    Template(
        "Hardware",
        "Monitor",
        (
            "Second monitor not detected on the docking station",
            "Monitor flickers and goes black",
            "No picture on my monitor after moving desks",
        ),
        "Workplace devices",
        DESK,
        ANYONE,
        (3,),
        (2, 3, 3),
        4,
    ),
    Template(
        "Hardware",
        "Printer",
        (
            "Printer {ci} shows error E42 (paper jam)",
            "Printer {ci} makes a grinding noise",
            "Print jobs stuck in the queue on {ci}",
            "Printer {ci} is out of toner",
            "Cannot find printer {ci} after the Windows update",
        ),
        "Printing",
        DESK,
        ANYONE,
        (3,),
        (2, 3, 3),
        8,
        PRINTERS,
        local=True,
    ),
    # Software on people's devices and in the mail system.
    Template(
        "Software",
        "Email",
        (
            "Outlook is slow or does not start",
            "Cannot open attachments in Outlook",
            "Shared mailbox missing from Outlook",
            "Meeting invitations arrive hours late",
        ),
        "Email & Calendar",
        COLLAB,
        ANYONE,
        (3, 3, 2),
        (2, 3),
        10,
        ("exchange-mail",),
    ),
    Template(
        "Software",
        "Office apps",
        (
            "Excel crashes when opening large workbooks",
            "Word keeps freezing when I save",
            "Office asks to be activated again",
        ),
        "Workplace devices",
        DESK,
        ANYONE,
        (3,),
        (2, 3),
        6,
    ),
    Template(
        "Software",
        "Browser",
        ("Browser shows a certificate warning on the intranet", "Browser keeps freezing"),
        "Workplace devices",
        DESK,
        ANYONE,
        (3,),
        (3,),
        2,
    ),
    # Network: the office network at the caller's site, and the VPN from home.
    Template(
        "Network",
        "Wi-Fi",
        (
            "Wi-Fi keeps dropping in the meeting rooms",
            "Wi-Fi very slow on floor 3",
            "Guest Wi-Fi not working for visitors",
        ),
        "Office network & Wi-Fi",
        NET,
        ANYONE,
        (3, 3, 2),
        (2, 3),
        5,
        ("wifi-ctrl-lon",),
        local=True,
    ),
    Template(
        "Network",
        "LAN",
        ("No network on my desk port after moving desks", "Network very slow in the office today"),
        "Office network & Wi-Fi",
        NET,
        ANYONE,
        (3,),
        (2, 3),
        3,
        ("core-sw-lon-01", "core-sw-man-01"),
        local=True,
    ),
    Template(
        "Network",
        "VPN",
        (
            "VPN disconnects every hour",
            "Cannot connect to the VPN from home",
            "VPN connects but the shared drives do not open",
        ),
        "Remote access (VPN)",
        NET,
        ANYONE,
        (3,),
        (2, 2, 3),
        6,
        ("fw-edge-lon-01",),
    ),
    # Access: signing in, MFA, and permissions on the shares.
    Template(
        "Access",
        "Password reset",
        (
            "Locked out after too many password attempts",
            "Password expired while I was on holiday",
            "Forgot my password",
        ),
        "Accounts & sign-in",
        IAM,
        ANYONE,
        (3,),
        (1, 2, 2),
        8,
        ("Active Directory",),
    ),
    Template(
        "Access",
        "MFA",
        ("New phone: need to set up MFA again", "MFA prompt never arrives on my phone"),
        "Accounts & sign-in",
        IAM,
        ANYONE,
        (3,),
        (1, 2),
        4,
        ("Single sign-on",),
    ),
    Template(
        "Access",
        "Permissions",
        (
            "Need access to the {department} share",
            "Access denied on a folder I could open yesterday",
        ),
        "Document Sharing",
        IAM,
        ("Legal", "Engineering", "Marketing", "Finance"),
        (3,),
        (2, 3),
        5,
        ("file-shares",),
    ),
    # Business applications: reported by the departments that use them.
    Template(
        "Business applications",
        "ERP",
        (
            "Month-end report shows wrong totals in ERP",
            "ERP times out when posting invoices",
            "Cannot approve purchase orders in ERP",
        ),
        "ERP – Finance & Logistics",
        ERP,
        ("Finance",),
        (2, 3),
        (1, 2, 3),
        5,
        ("erp-finance",),
    ),
    Template(
        "Business applications",
        "ERP",
        ("Cannot print delivery notes from ERP", "Goods receipt stuck in ERP"),
        "ERP – Finance & Logistics",
        ERP,
        ("Logistics",),
        (2, 3),
        (1, 2, 3),
        3,
        ("erp-logistics",),
    ),
    Template(
        "Business applications",
        "Payroll",
        ("Payslips not showing in the HR portal", "HR portal will not save a new starter"),
        "Payroll",
        ERP,
        ("Human Resources",),
        (2, 3),
        (2, 3),
        3,
        ("hr-portal",),
    ),
    Template(
        "Business applications",
        "Payroll",
        ("Payroll export to the bank failed",),
        "Payroll",
        ERP,
        ("Finance",),
        (2,),
        (1, 2),
        1,
        ("payroll-engine",),
    ),
    Template(
        "Business applications",
        "Online Store",
        (
            "Product images missing on the store",
            "Price change not showing on the store",
            "Customers say some products show as out of stock",
        ),
        "Online Store",
        ERP,
        ("Sales", "Marketing", "Customer Care"),
        (2, 3),
        (2, 3),
        4,
        ("store-catalog",),
    ),
    Template(
        "Business applications",
        "Online Store",
        ("Customers report errors at checkout", "Discount codes rejected at checkout"),
        "Online Store",
        ERP,
        ("Customer Care", "Sales"),
        (1, 2, 2),
        (1, 2),
        2,
        ("store-checkout",),
    ),
    # The recurring failure of the story: the mailer lost customers' replies with large
    # attachments until its problem was fixed ``SUPPORT_MAIL_FIX_DAYS_AGO`` days ago (the
    # problem is ``opsdesk.reporting.demo``'s); the reports show the calls stopping.
    Template(
        "Business applications",
        "Support portal",
        SUPPORT_MAIL_SUMMARIES,
        "Customer Support Portal",
        COLLAB,
        ("Customer Care",),
        (2,),
        (2, 3),
        5,
        ("ticket-mailer",),
        until_days_ago=SUPPORT_MAIL_FIX_DAYS_AGO,
    ),
    Template(
        "Business applications",
        "Support portal",
        ("Support portal very slow to open cases",),
        "Customer Support Portal",
        COLLAB,
        ("Customer Care",),
        (2, 3),
        (2, 3),
        2,
        ("support-portal-app",),
    ),
    # Infrastructure: monitoring raises it straight to the group that runs the CI.
    Template(
        "Infrastructure",
        "Server",
        ("Disk almost full on {ci}",),
        "Email & Calendar",
        SS,
        MONITORING,
        (2,),
        (2, 3),
        2,
        ("vm-mail-01", "vm-mail-02"),
    ),
    Template(
        "Infrastructure",
        "Server",
        ("Disk almost full on {ci}", "Memory above 95% on {ci}"),
        "ERP – Finance & Logistics",
        SS,
        MONITORING,
        (2,),
        (2, 3),
        2,
        ("vm-erp-app-01", "vm-erp-app-02"),
    ),
    Template(
        "Infrastructure",
        "Server",
        ("{ci} not responding",),
        "Document Sharing",
        SS,
        MONITORING,
        (2,),
        (2, 3),
        1,
        ("vm-file-01",),
    ),
    Template(
        "Infrastructure",
        "Server",
        ("CPU above 90% for 10 minutes on {ci}",),
        "Online Store",
        SS,
        MONITORING,
        (2,),
        (2, 3),
        1,
        ("vm-k8s-node-01",),
    ),
    Template(
        "Infrastructure",
        "Storage",
        ("Volume almost full on {ci}",),
        "Document Sharing",
        SS,
        MONITORING,
        (2,),
        (2, 3),
        1,
        ("san-man-01",),
    ),
    Template(
        "Infrastructure",
        "Database",
        ("Slow queries on {ci}", "Tablespace almost full on {ci}"),
        "ERP – Finance & Logistics",
        DBA,
        MONITORING,
        (1, 2),
        (2, 3),
        2,
        ("db-erp",),
    ),
    Template(
        "Infrastructure",
        "Database",
        ("Replication lag on {ci}", "Slow queries on {ci}"),
        "Online Store",
        DBA,
        MONITORING,
        (1, 2),
        (2, 3),
        1,
        ("db-store",),
    ),
    Template(
        "Infrastructure",
        "Database",
        ("Nightly backup of {ci} failed",),
        "Payroll",
        DBA,
        MONITORING,
        (2,),
        (2,),
        1,
        ("db-payroll",),
    ),
]


@dataclass(frozen=True)
class Major:
    """A major incident of the story: when it began and, once it is over, how long it lasted."""

    summary: str
    category: str
    subcategory: str
    service: str
    group: str
    ci: str
    callers: str | tuple[str, ...]
    days_ago: float
    hours: float | None  # None: still going on
    fix: str = ""


MAJORS = [
    Major(
        "Online Store checkout failing: card payments time out",
        "Business applications",
        "Online Store",
        "Online Store",
        ERP,
        "payment-gateway-adapter",
        ("Customer Care",),
        days_ago=50 / (24 * 60),
        hours=None,
    ),
    Major(
        "Email down for everyone: the mail servers lost their storage",
        "Infrastructure",
        "Storage",
        "Email & Calendar",
        SS,
        "san-lon-01",
        MONITORING,
        days_ago=9.3,
        hours=3.2,
        fix="A failed path to san-lon-01 was replaced; the mailbox databases remounted.",
    ),
    Major(
        "Nobody can sign in: the single sign-on certificate expired",
        "Access",
        "Single sign-on",
        "Accounts & sign-in",
        IAM,
        "Single sign-on",
        ("Sales",),
        days_ago=33.6,
        hours=1.8,
        fix="Renewed the single sign-on signing certificate; renewal is now monitored.",
    ),
    Major(
        "Payroll run failed: db-payroll ran out of disk",
        "Infrastructure",
        "Database",
        "Payroll",
        DBA,
        "db-payroll",
        MONITORING,
        days_ago=61.4,
        hours=4.5,
        fix="Extended the db-payroll log volume and reran the payroll batch.",
    ),
]


def _catalogue() -> dict[str, tuple[list[str], str, list[str]]]:
    """category -> (subcategories, the group that takes the first of them, typical summaries)."""
    catalogue: dict[str, tuple[list[str], str, list[str]]] = {}
    for t in [*TEMPLATES, *MAJORS]:
        subs, _, summaries = catalogue.setdefault(t.category, ([], t.group, []))
        if t.subcategory not in subs:
            subs.append(t.subcategory)
        texts = t.summaries if isinstance(t, Template) else (t.summary,)
        summaries.extend(s for s in texts if "{" not in s and s not in summaries)
    return catalogue


# The category tree and one assignment rule per category; the benchmark seeds draw on it too.
CATALOGUE = _catalogue()

# How people call; monitoring always comes in as an event.
CHANNELS = [
    (Channel.EMAIL, 35),
    (Channel.PORTAL, 25),
    (Channel.PHONE, 20),
    (Channel.CHAT, 7),
    (Channel.WALK_IN, 3),
]
# For the benchmark seeds, which draw impact and urgency without templates.
IMPACT_WEIGHTS = [8, 30, 62]
URGENCY_WEIGHTS = [10, 35, 55]
# Typical hours to resolve, by priority (log-normal around these).
RESOLVE_HOURS = {1: 3, 2: 8, 3: 24, 4: 48, 5: 96}
RESPONSE_MINUTES = {1: 5, 2: 15, 3: 45, 4: 90, 5: 180}


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _opened_moment(rng, now, until_days_ago: float = 0):
    """Weekdays in office hours mostly; some evenings and weekends."""
    while True:
        moment = now - timedelta(days=rng.uniform(until_days_ago, DAYS))
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


def _configuration_items() -> dict:
    """The demo CMDB by name; empty when the CMDB demo did not run."""
    from opsdesk.cmdb.models import ConfigurationItem

    return {ci.name: ci for ci in ConfigurationItem.objects.select_related("ci_class")}


def monitoring_account() -> User:
    """The service account monitoring's incidents are called by; it cannot sign in."""
    user, created = User.objects.get_or_create(
        username=MONITORING_USERNAME,
        defaults={"display_name": "Monitoring", "email": "monitoring@localhost"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class Cast:
    """Who and what the generated incidents draw on, read once."""

    def __init__(self, *, teams, callers, monitoring, items):
        self.teams = teams
        self.members = {
            name: list(team.members.order_by("username")) for name, team in teams.items()
        }
        self.callers = callers
        self.monitoring = monitoring
        self.items = items
        self.by_department: dict[str, list[User]] = {}
        for caller in callers:
            self.by_department.setdefault(caller.department, []).append(caller)

    def callers_for(self, kind) -> list[User]:
        if kind == MONITORING:
            return [self.monitoring]
        if kind == ANYONE:
            return self.callers
        return [c for department in kind for c in self.by_department.get(department, [])]

    def group(self, name):
        return self.teams.get(name) or self.teams.get(DESK) or next(iter(self.teams.values()))


def load(*, progress) -> None:
    teams = {t.name: t for t in Team.objects.order_by("name")}
    tree = _categories(progress)
    _rules(tree, teams)
    missing = TARGET - Incident.objects.count()
    if missing <= 0:
        progress(f"{Incident.objects.count()} incidents already there")
        return
    callers = list(
        User.objects.filter(groups__name=str(Role.REQUESTER), is_active=True).order_by("username")
    )
    if not callers or not teams:
        progress("incidents skipped: run the core demo first (people and teams)")
        return
    cast = Cast(
        teams=teams, callers=callers, monitoring=monitoring_account(), items=_configuration_items()
    )
    managers = list(User.objects.filter(groups__name=str(Role.TEAM_LEAD)).order_by("username"))
    matrix = {(r.impact, r.urgency): r.priority for r in PriorityMatrixRow.objects.all()}
    codes = {c.key: c for c in ResolutionCode.objects.all()}
    majors = [] if Incident.objects.filter(is_major=True).exists() else MAJORS[:missing]
    rng = random.Random(4242)
    now = timezone.now()

    with transaction.atomic():
        first = _number_block(missing)
        rows, stories = [], []
        for index in range(missing):
            major = majors[index] if index < len(majors) else None
            incident, story = _make(
                rng, now, first + index, tree, cast, matrix, codes, _pick(rng, cast), major
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
        _majors(rng, created[: len(majors)], managers, now)
        _clocks(created, now)
        # Written in bulk, the story's incidents get their typed history as migrated ones did.
        history_rebuild(
            record_type="incident",
            app_label="incidents",
            model_name="incident",
            ids=[i.pk for i in created],
        )
        _tasks(created[: len(majors)], cast)
    still_open = Incident.objects.filter(state__in=OPEN_STATES).count()
    progress(f"{Incident.objects.count()} incidents in all; {still_open} open")


def _pick(rng, cast) -> Template:
    """A template whose callers exist (a small test database may lack some departments)."""
    for _ in range(20):
        template = rng.choices(TEMPLATES, weights=[t.weight for t in TEMPLATES])[0]
        if cast.callers_for(template.callers):
            return template
    return next(t for t in TEMPLATES if t.callers == ANYONE)


def _ci_for(rng, cast, names, caller, local):
    items = [cast.items[n] for n in names if n in cast.items]
    if local:
        items = [ci for ci in items if ci.location == caller.location]
    return rng.choice(items) if items else None


def _make(rng, now, number, tree, cast, matrix, codes, template, major=None):
    subject = major or template
    parent, children = tree[subject.category]
    sub = next(c for c in children if c.name == subject.subcategory)
    caller = rng.choice(cast.callers_for(subject.callers) or cast.callers)
    if major:
        impact = urgency = 1
        ci = cast.items.get(major.ci)
        summary = major.summary
        opened = now - timedelta(days=major.days_ago)
    else:
        impact, urgency = rng.choice(template.impacts), rng.choice(template.urgencies)
        ci = _ci_for(rng, cast, template.cis, caller, template.local)
        ci_name = ci.name if ci else (rng.choice(template.cis) if template.cis else "")
        summary = rng.choice(template.summaries).format(
            ci=ci_name, department=caller.department or "team"
        )
        opened = _opened_moment(rng, now, template.until_days_ago)
    priority = matrix.get((impact, urgency), min(5, impact + urgency - 1))
    monitored = subject.callers == MONITORING
    channel = Channel.EVENT if monitored else _weighted(rng, CHANNELS)
    if major and not monitored:
        channel = Channel.PHONE  # nobody e-mails about an outage
    group = cast.group(subject.group)
    people = cast.members.get(group.name) or [None]
    assignee = rng.choice(people)
    story = [(opened, "system", None, "new", "")]
    if monitored:
        description = f"Raised by monitoring for {ci.name if ci else 'a monitored system'}."
    else:
        description = f"Reported by {caller} by {Channel(channel).label.lower()}."
    values = dict(
        number=f"{Incident.NUMBER_PREFIX}{number:0{DIGITS}d}",
        short_description=summary[:200],
        description=description,
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
        service=cast.items.get(subject.service),
        ci=ci,
    )
    age_hours = (now - opened).total_seconds() / 3600
    response = timedelta(minutes=rng.lognormvariate(0, 0.8) * RESPONSE_MINUTES[priority])
    resolve = timedelta(hours=rng.lognormvariate(0, 0.9) * RESOLVE_HOURS[priority])
    if major:
        # A major incident is picked up at once and ends when the story says.
        response = timedelta(minutes=4)
        resolve = timedelta(hours=major.hours) if major.hours else now - opened + timedelta(1)
    moment = opened
    # Some fresh calls are still waiting in the group's queue.
    waiting = age_hours < 48 and rng.random() < 0.3 and not major
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
        if rng.random() < 0.12 and opened + resolve / 2 < now and not major:
            held = opened + resolve / 3
            back = opened + resolve / 2
            story.append((held, "state_change", "in_progress", "on_hold", "Awaiting the caller."))
            if back < now - timedelta(hours=1) or rng.random() < 0.5:
                story.append((back, "state_change", "on_hold", "in_progress", ""))
            else:
                values.update(state=State.ON_HOLD, hold_reason=rng.choice(HoldReason.values))
    # A few wait for weeks on a vendor or a problem fix: the backlog that ages.
    stuck = rng.random() < 0.03 and not major
    if values["state"] == State.IN_PROGRESS and opened + resolve < now and not stuck:
        if rng.random() < 0.03 and not major:
            values.update(state=State.CANCELLED, closed_at=opened + resolve)
            story.append(
                (opened + resolve, "state_change", "in_progress", "cancelled", "Raised twice.")
            )
        else:
            resolved = opened + resolve
            code = codes.get(
                "solved_permanently"
                if major
                else rng.choices(
                    ["solved_permanently", "workaround_applied", "user_error", "not_reproducible"],
                    weights=[60, 25, 10, 5],
                )[0]
            )
            notes = major.fix if major else "Fixed and confirmed."
            values.update(
                state=State.RESOLVED,
                resolved_at=resolved,
                first_resolved_at=resolved,
                resolution_code=code,
                resolution_notes=notes,
            )
            story.append((resolved, "state_change", "in_progress", "resolved", notes))
            if rng.random() < 0.05 and resolved + timedelta(hours=4) < now and not major:
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
    if values["state"] == State.IN_PROGRESS and (stuck or rng.random() < 0.2) and not major:
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
    """The story's major incidents; those that are over have a post-incident review."""
    p1s = list(created)
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


# The work the major incidents handed to other teams: (major's summary, task, group,
# done with, or "" while it is still open).
TASKS = [
    (
        MAJORS[0].summary,
        "Fail the payment gateway adapter over to the standby site",
        SS,
        "",
    ),
    (
        MAJORS[0].summary,
        "Ask the card processor for their incident reference and an ETA",
        ERP,
        "",
    ),
    (
        MAJORS[1].summary,
        "Replace the failed fibre path to san-lon-01",
        SS,
        "Path B replaced by the vendor engineer; both paths active again.",
    ),
    (
        MAJORS[1].summary,
        "Remount the mailbox databases and check replication",
        COLLAB,
        "All twelve databases mounted; replication healthy.",
    ),
]


def _tasks(majors, cast) -> None:
    """Tasks under the story's major incidents, through the ticket platform's services."""
    by_summary = {i.short_description: i for i in majors}
    for summary, what, group, done in TASKS:
        parent = by_summary.get(summary)
        if parent is None or Task.objects.filter(short_description=what).exists():
            continue
        team = cast.group(group)
        people = cast.members.get(team.name) or [None]
        task = ticket_create(
            ticket_type("task"),
            actor=None,
            values={
                "parent_type": ContentType.objects.get_for_model(parent),
                "parent_id": parent.pk,
                "short_description": what,
                "caller": parent.caller,
                "assignment_group": team,
                "assignee": people[0],
                "priority": 1,
                "opened_at": parent.opened_at + timedelta(minutes=20),
            },
        )
        moment = parent.resolved_at or timezone.now()
        if done:
            ticket_transition_step(task, "complete", actor=people[0], now=moment, reason=done)
        elif people[0] is not None:
            ticket_transition_step(task, "start", actor=people[0], now=task.opened_at)


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
