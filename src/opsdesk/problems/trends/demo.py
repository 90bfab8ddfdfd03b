"""The demo's planted recurring failure, and a first trend-detection run over the demo.

The reception kiosk visitors sign in on freezes at the badge-printing step; seven people
called it in over three weeks, each in their own words, and nobody has raised a problem yet.
Trend detection finds it (with whatever else recurs in the demo's incidents) and offers it on
the Trends page for Pat Problem to accept.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.models import User
from opsdesk.core.roles import Role
from opsdesk.incidents.models import Category, Incident
from opsdesk.incidents.services import incident_open
from opsdesk.problems.trends.services import trend_detect

KIOSK = "kiosk-reception-01"
SERVICE = "Workplace devices"
# (days ago, what the caller said)
CALLS = [
    (20, "Reception kiosk freezes when printing a visitor badge"),
    (17, "Visitor kiosk at reception hangs on the badge printing screen"),
    (15, "The reception sign-in kiosk froze again while printing a badge"),
    (11, "Kiosk in reception stuck on 'printing badge', visitors queueing"),
    (8, "Visitor badge kiosk frozen at reception, had to restart it"),
    (5, "Reception kiosk hangs printing visitor badges"),
    (2, "Sign-in kiosk at reception freezes on the badge step again"),
]
MARK = "kiosk freezes"  # how a second run knows the calls are there


def plant(*, actor, progress) -> list[Incident]:
    kiosk = ConfigurationItem.objects.filter(name=KIOSK).first()
    service = ConfigurationItem.objects.filter(name=SERVICE).first()
    if kiosk is None or Incident.objects.filter(short_description__icontains=MARK).exists():
        return []
    callers = list(
        User.objects.filter(groups__name=str(Role.REQUESTER), is_active=True).order_by("username")[
            : len(CALLS)
        ]
    )
    if not callers:
        return []
    hardware = Category.objects.filter(name="Hardware", parent__isnull=True).first()
    # The desk files the kiosk, a touchscreen on a stand, under monitors.
    screen = Category.objects.filter(parent=hardware, name="Monitor").first()
    now = timezone.now()
    planted = []
    with transaction.atomic():
        for index, (days_ago, text) in enumerate(CALLS):
            incident = incident_open(
                actor=actor,
                caller=callers[index % len(callers)],
                short_description=text,
                description="Reported at the front desk by phone.",
                channel="phone",
                category=hardware,
                subcategory=screen,
                service=service,
                ci=kiosk,
            )
            # Demo history: the calls came in over the last three weeks.
            at = now - timedelta(days=days_ago, hours=index)
            Incident.objects.filter(pk=incident.pk).update(opened_at=at, created_at=at)
            planted.append(incident)
    progress(f"{len(planted)} calls about the reception kiosk, a trend nobody has raised yet")
    return planted


def load(*, actor, progress) -> None:
    plant(actor=actor, progress=progress)
    run = trend_detect()
    progress(f"trend detection: {len(run.found)} candidates from {run.looked_at} incidents")
