"""Demo problems of Larkfield Home (see ``opsdesk.core.demo`` for the company's story).

Two known errors the desk uses at intake: the old VPN client drops its tunnel every hour (the
workaround is safe for anyone: install 6.2), and payslip PDFs time out at month end (the desk
sends them from the archive). The printer jams on the third floor are under root-cause
analysis; the mail outage's review became a problem that is fixed and closed; ERP slowness at
month end was raised this week and waits to be assessed. Pat Problem manages them.
"""

from django.contrib.auth.hashers import make_password
from django.db.models import Q

from opsdesk.core.demo import DEMO_PASSWORD
from opsdesk.core.models import Team, User
from opsdesk.core.roles import Role
from opsdesk.core.services import user_create
from opsdesk.incidents.models import Incident, PostIncidentReview
from opsdesk.problems import services
from opsdesk.problems.models import Problem
from opsdesk.problems.trends import demo as trends_demo

PROBLEMS = [
    {
        "title": "VPN client before 6.2 drops the tunnel every hour",
        "team": "Network Operations",
        "match": Q(short_description__icontains="VPN"),
        "moves": ["assess", "analyse", "known_error"],
        "analysis": {
            "symptoms": "VPN disconnects every hour; shared drives vanish until reconnecting.",
            "root_cause": "GlobalProtect before 6.2 drops the tunnel when its token renews.",
            "workaround": "Install GlobalProtect 6.2 from Software Center and restart.",
            "workaround_public": True,
            "whys": [
                "The VPN disconnects every hour.",
                "The tunnel closes when the session token renews.",
                "Client 6.1 does not renew in place.",
                "The laptops were imaged before 6.2 was packaged.",
            ],
            "contributing_factors": [
                {"category": "process", "text": "Client updates are not pushed to old images."}
            ],
        },
    },
    {
        "title": "Payslip PDFs time out at month end",
        "team": "ERP Applications",
        "match": Q(short_description__icontains="payslip"),
        "moves": ["assess", "analyse", "known_error", "start_fix"],
        "analysis": {
            "symptoms": "Payslips do not open in the HR portal in the last days of the month.",
            "root_cause": "The PDF renderer runs a single worker and queues at month end.",
            "workaround": "The desk sends the payslip from the payroll archive tab.",
            "vendor_reference": "HRX-20931",
        },
    },
    {
        "title": "Printers on the third floor jam with error E42",
        "team": "Service Desk",
        "match": Q(short_description__icontains="E42"),
        "moves": ["assess", "analyse"],
        "analysis": {
            "whys": ["Paper jams behind the rear flap.", "The rollers are worn."],
            "failure_timeline": "Jams started in October, always on the two oldest printers.",
        },
    },
    {
        "title": "ERP is slow at month end",
        "team": None,
        "match": Q(short_description__icontains="ERP"),
        "moves": [],
        "analysis": {},
    },
]


def _manager(progress) -> User:
    manager = User.objects.filter(username="problems").first()
    if manager is None:
        manager = user_create(
            actor=None,
            username="problems",
            display_name="Pat Problem",
            email="problems@example.com",
            roles=[Role.AGENT, Role.PROBLEM_MANAGER],
            department="IT",
            location="London",
        )
        User.objects.filter(pk=manager.pk).update(password=make_password(DEMO_PASSWORD))
        for team in Team.objects.filter(name__in=["Server & Storage", "Network Operations"]):
            team.members.add(manager)
        progress("problem manager sign-in 'problems'")
    return manager


def load(*, progress) -> None:
    if Problem.objects.exists():
        return
    manager = _manager(progress)
    teams = {t.name: t for t in Team.objects.all()}
    for spec in PROBLEMS:
        incidents = list(Incident.objects.filter(spec["match"]).order_by("-opened_at")[:6])
        team = teams.get(spec["team"]) if spec["team"] else None
        problem = services.problem_create(
            actor=manager,
            short_description=spec["title"],
            assignment_group=team,
            problem_manager=manager if team else None,
            incidents=incidents,
            reason="The same failure" if incidents else "",
        )
        if spec["analysis"]:
            problem = services.problem_update(actor=manager, problem=problem, **spec["analysis"])
        for action in spec["moves"]:
            problem = services.problem_transition(actor=manager, problem=problem, action=action)
        if problem.is_known_error:
            # In the knowledge base too: the VPN one for everyone, the payslip one for agents.
            services.known_error_publish(actor=manager, problem=problem)
    review = PostIncidentReview.objects.select_related("incident").order_by("outage_start").first()
    if review is not None:
        problem = services.problem_from_review(actor=manager, review=review)
        problem = services.problem_update(
            actor=manager,
            problem=problem,
            symptoms=problem.short_description,
            root_cause=problem.root_cause or "Found in the review.",
            workaround="None needed once fixed.",
        )
        for action in ("assess", "analyse", "known_error", "start_fix"):
            problem = services.problem_transition(actor=manager, problem=problem, action=action)
        problem = services.problem_transition(
            actor=manager, problem=problem, action="resolve", reason="Fixed as the review said."
        )
        services.problem_transition(actor=manager, problem=problem, action="close")
    progress(
        f"{Problem.objects.count()} problems, two of them known errors the desk uses, "
        "published to the knowledge base"
    )
    # A recurring failure nobody has raised yet, and the night's trend detection run.
    trends_demo.load(actor=manager, progress=progress)
