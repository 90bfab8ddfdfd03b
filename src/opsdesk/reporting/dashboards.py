"""The dashboards, one per audience, as data: which panels each shows and how.

A panel names the metrics it draws by key (``metrics.metric(key)``), the chart it draws them
with and how it groups them; a metric another part of reporting has not registered yet is
left out of the page, so a dashboard never fails for a missing family. A few panels are not
metrics but lists of what needs doing now (``source``): SLA clocks about to breach, major
incidents, heartbeats, maintenance, the hour-by-weekday heat map of incidents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Charts a panel may draw. "number": one figure per metric (cards); "gauge": a ratio
# against its target (half doughnut); "line": a trend over a period grouping; "bar" and
# "stacked": volumes per group, the metrics side by side or one on top of the other;
# "table": the grouped figures only.
CHARTS = ("number", "gauge", "line", "bar", "stacked", "table")
# Panels drawn from a selector of their own, not from the metric registry.
SOURCES = ("heatmap", "breaching_soon", "major_incidents", "alerts", "heartbeats", "maintenance")


@dataclass(frozen=True)
class Panel:
    key: str  # unique on its dashboard: the anchor and the CSV's ``table=``
    title: str
    chart: str = "number"
    metrics: tuple[str, ...] = ()
    group_by: str = ""  # a grouping of ``metrics.base.GROUPINGS``
    # Series of one metric split by a dimension (stacked volumes by record type).
    split: str = ""
    # Filters the panel always applies (``{"record_type": "incident"}``).
    fixed: dict = field(default_factory=dict)
    # The columns the chart draws (the table shows them all); empty: each kind's headline
    # figures (mean, median and p90 of a duration, a ratio's rate, a count).
    columns: tuple[str, ...] = ()
    source: str = ""  # one of SOURCES: the panel is not drawn from metrics
    # Cards compare each figure with the period just before.
    compare: bool = False
    wide: bool = False

    def __post_init__(self):
        assert self.chart in CHARTS or self.source in SOURCES, self.key

    @property
    def spans_the_page(self) -> bool:
        """Tables of many columns and rows of gauges need the page's width to be read; a
        narrow panel of them leaves its columns cut off and the rest of its row empty."""
        return (
            self.wide or self.chart == "table" or (self.chart == "gauge" and len(self.metrics) > 1)
        )


@dataclass(frozen=True)
class Dashboard:
    slug: str
    label: str
    audience: str  # who it is for, shown on the index
    description: str
    panels: tuple[Panel, ...]
    # The team lead's page opens on the viewer's own team when no team is chosen.
    own_team: bool = False


SERVICE_DESK = Dashboard(
    slug="service-desk",
    label="Service desk",
    audience="Service-desk manager",
    description="Volumes opened against resolved, the backlog's trend, SLA compliance, "
    "first-contact resolution and satisfaction.",
    panels=(
        Panel(
            key="headline",
            title="The period at a glance",
            metrics=("opened", "resolved", "backlog", "mtta", "mttr"),
            wide=True,
        ),
        Panel(
            key="targets",
            title="Against target",
            chart="gauge",
            metrics=("sla_compliance", "fcr", "csat", "reopen_rate"),
        ),
        Panel(
            key="volumes",
            title="Opened and resolved per week",
            chart="bar",
            metrics=("opened", "resolved"),
            group_by="week",
            wide=True,
        ),
        Panel(
            key="opened-by-type",
            title="Opened per week, by record type",
            chart="stacked",
            metrics=("opened",),
            group_by="week",
            split="record_type",
            wide=True,
        ),
        Panel(
            key="backlog-trend",
            title="Backlog trend",
            chart="line",
            metrics=("backlog_trend",),
            group_by="day",
            wide=True,
        ),
        Panel(
            key="resolution-trend",
            title="Time to resolve per week",
            chart="line",
            metrics=("mttr",),
            group_by="week",
        ),
        Panel(
            key="sla-by-priority",
            title="SLA compliance by priority",
            chart="table",
            metrics=("sla_compliance",),
            group_by="priority",
        ),
    ),
)

TEAM_LEAD = Dashboard(
    slug="team-lead",
    label="Team queue",
    audience="Team lead",
    description="Your team's open queue by priority and age, the SLA clocks about to breach "
    "and the workload of each person.",
    own_team=True,
    panels=(
        Panel(
            key="queue",
            title="The queue now",
            metrics=("backlog", "opened", "resolved", "mttr"),
            wide=True,
        ),
        Panel(
            key="breaching",
            title="Breaches coming (next 4 hours)",
            source="breaching_soon",
            wide=True,
        ),
        Panel(
            key="queue-by-priority",
            title="Open by priority",
            chart="bar",
            metrics=("backlog",),
            group_by="priority",
        ),
        Panel(
            key="ageing",
            title="Backlog ageing by priority",
            chart="stacked",
            metrics=("backlog_ageing",),
            group_by="priority",
            columns=("lt7", "7to30", "30to90", "gt90"),
        ),
        Panel(
            key="workload",
            title="Workload per person",
            chart="bar",
            metrics=("backlog", "resolved"),
            group_by="person",
            wide=True,
        ),
        Panel(
            key="resolution-by-person",
            title="Time to resolve per person",
            chart="table",
            metrics=("mttr",),
            group_by="person",
        ),
    ),
)

SERVICE_OWNER = Dashboard(
    slug="service-owner",
    label="Services",
    audience="Service owner",
    description="Availability of each service, the incidents and problems on it, and its "
    "major incidents.",
    panels=(
        Panel(
            key="availability",
            title="Availability against target",
            chart="gauge",
            metrics=("availability",),
        ),
        Panel(
            key="availability-by-service",
            title="Availability per service",
            chart="table",
            metrics=("availability",),
            group_by="service",
        ),
        Panel(
            key="incidents-by-service",
            title="Incidents per service",
            chart="bar",
            metrics=("opened", "resolved"),
            group_by="service",
            fixed={"record_type": "incident"},
            wide=True,
        ),
        Panel(
            key="problems-by-service",
            title="Problems per service",
            chart="bar",
            metrics=("opened", "backlog"),
            group_by="service",
            fixed={"record_type": "problem"},
        ),
        Panel(
            key="major",
            title="Major incidents",
            source="major_incidents",
            wide=True,
        ),
        Panel(
            key="heatmap",
            title="Incidents by hour and weekday",
            source="heatmap",
            wide=True,
        ),
    ),
)

OPERATIONS = Dashboard(
    slug="operations",
    label="Operations",
    audience="IT operations",
    description="Alerts raised and how much noise became no incident, heartbeats of scheduled "
    "jobs and maintenance windows.",
    panels=(
        Panel(key="alerts", title="Alerts raised in the period", source="alerts"),
        Panel(
            key="noise",
            title="Noise reduction",
            chart="gauge",
            metrics=("noise_reduction",),
        ),
        Panel(
            key="alerts-per-event",
            title="Alerts per event",
            chart="number",
            metrics=("alerts_per_event",),
        ),
        Panel(
            key="event-incidents",
            title="Incidents opened by events, per week",
            chart="line",
            metrics=("opened",),
            group_by="week",
            fixed={"record_type": "incident", "channel": "event"},
            wide=True,
        ),
        Panel(key="heartbeats", title="Heartbeats", source="heartbeats"),
        Panel(key="maintenance", title="Maintenance windows", source="maintenance"),
        Panel(
            key="heatmap",
            title="Incidents by hour and weekday",
            source="heatmap",
            wide=True,
        ),
    ),
)

EXECUTIVE = Dashboard(
    slug="executive",
    label="Executive summary",
    audience="Executive",
    description="The few numbers that matter, each against the period before.",
    panels=(
        Panel(
            key="numbers",
            title="Against the previous period",
            metrics=(
                "availability",
                "sla_compliance",
                "mttr",
                "csat",
                "fcr",
                "backlog",
                "opened",
            ),
            compare=True,
            wide=True,
        ),
        Panel(
            key="trend",
            title="Opened and resolved per week",
            chart="line",
            metrics=("opened", "resolved"),
            group_by="week",
            wide=True,
        ),
        Panel(
            key="mttr-by-priority",
            title="Time to resolve by priority",
            chart="table",
            metrics=("mttr",),
            group_by="priority",
        ),
    ),
)

DASHBOARDS: dict[str, Dashboard] = {
    board.slug: board for board in (SERVICE_DESK, TEAM_LEAD, SERVICE_OWNER, OPERATIONS, EXECUTIVE)
}


def dashboard(slug: str) -> Dashboard:
    return DASHBOARDS[slug]


def all_dashboards() -> list[Dashboard]:
    return list(DASHBOARDS.values())


# A mailed dashboard keeps to its first few numbers: a mail is read, not explored.
MAIL_SECTIONS = 6


def mail_sections(slug: str, *, days: int = 7):
    """A dashboard as scheduled mail: its label, its metric panels' (metric key, filters)
    over the last ``days`` days, and its address; ``KeyError`` for an unknown dashboard."""
    from django.urls import reverse

    from opsdesk.reporting import metrics
    from opsdesk.reporting.metrics import Filters

    board = dashboard(slug)
    registered = {found.key for found in metrics.all_metrics()}
    period = Filters.default(days=days)
    sections = []
    for panel in board.panels:
        if panel.source:
            continue
        for key in panel.metrics:
            if key in registered and len(sections) < MAIL_SECTIONS:
                sections.append((key, period.with_(group_by=panel.group_by, **panel.fixed)))
    return board.label, sections, reverse("reporting:dashboard", args=[slug])
