"""Demo people and support groups: the organisation every other domain's demo data uses.

The story every demo module tells
---------------------------------
Larkfield Home sells furniture and homeware online. Head office and the data centre are in
London, the distribution centre is in Manchester, and small sales offices in Dublin and Berlin
serve Ireland and Germany. About sixty office staff (Finance, Sales, Marketing, Human Resources,
Legal, Logistics, Customer Care and the store's Engineering team) call the Service Desk; eight IT
support groups in London take the calls, and the IT Operations Centre watches monitoring.

What they use (``opsdesk.cmdb.demo``): the Online Store, ERP for finance and logistics, Payroll
with its HR portal, Email & Calendar, the Customer Support Portal, Document Sharing, and the
everyday services people call about most: their laptops and monitors (Workplace devices),
Printing, the Office network & Wi-Fi, Remote access (VPN) and Accounts & sign-in.

What the last ninety days looked like (``opsdesk.incidents.demo``): office staff report printers,
laptops, Outlook, VPN and locked accounts; Finance and Logistics report ERP; HR reports payslips;
Customer Care reports the store and the support portal. Monitoring (``opsdesk.events.demo``)
raises the server-side problems (full disks, slow queries, failed backups) straight to the
infrastructure groups. Three major incidents are over, each with a review: email lost its
storage, single sign-on's certificate expired, a payroll run failed on a full database disk.

This week: it is month end, so Finance is busy in ERP, and one major incident is in progress:
card payments time out at the Online Store's checkout. Monitoring's alerts on the payment
adapter and the checkout are linked to it; Customer Care has called it in. The knowledge base
(``opsdesk.servicedesk.demo``) answers the common calls, so a requester may help themselves.
"""

from django.contrib.auth.hashers import make_password

from opsdesk.core.models import Team, TeamType, User
from opsdesk.core.roles import Role
from opsdesk.core.services import team_create, user_create

DEMO_PASSWORD = "opsdesk-demo"

TEAMS = [
    ("Service Desk", TeamType.SERVICE_DESK, "IT Operations Centre"),
    ("Network Operations", TeamType.OPERATIONS, None),
    ("Server & Storage", TeamType.TECHNICAL, None),
    ("Database Administration", TeamType.TECHNICAL, None),
    ("Identity & Access", TeamType.TECHNICAL, None),
    ("ERP Applications", TeamType.APPLICATION, "Database Administration"),
    ("Collaboration Apps", TeamType.APPLICATION, "Server & Storage"),
    ("IT Operations Centre", TeamType.OPERATIONS, "Server & Storage"),
]

FIRST = [
    "Alice",
    "Bilal",
    "Chen",
    "Dana",
    "Eero",
    "Farah",
    "Gita",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Marek",
    "Nadia",
    "Oscar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Xenia",
    "Yusuf",
    "Zara",
]
LAST = [
    "Adams",
    "Berg",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
]
DEPARTMENTS = [
    "Finance",
    "Sales",
    "Marketing",
    "Human Resources",
    "Legal",
    "Logistics",
    "Customer Care",
    "Engineering",
]
LOCATIONS = ["London", "Manchester", "Dublin", "Berlin"]
# Where each department works: logistics at the distribution centre, sales in every office.
DEPARTMENT_SITES = {
    "Logistics": ["Manchester"],
    "Sales": ["London", "Dublin", "Berlin"],
    "Customer Care": ["Manchester", "London"],
}


def _person(index: int) -> tuple[str, str]:
    first = FIRST[index % len(FIRST)]
    last = LAST[(index * 7) % len(LAST)]
    return first, last


def load(*, progress) -> None:
    """Create what is missing; existing rows are left as they are."""
    users: dict[str, User] = {u.username: u for u in User.objects.all()}
    created: list[int] = []

    def ensure_user(username, display_name, roles, **fields):
        if username not in users:
            users[username] = user_create(
                actor=None,
                username=username,
                display_name=display_name,
                email=f"{username}@example.com",
                roles=roles,
                **fields,
            )
            created.append(users[username].pk)
        return users[username]

    cio = ensure_user(
        "cio", "Morgan Hale", [Role.ADMINISTRATOR], department="IT", location="London"
    )
    agents = []
    for t_index, (team_name, _, _) in enumerate(TEAMS):
        lead_first, lead_last = _person(t_index * 5)
        lead = ensure_user(
            f"{lead_first}.{lead_last}.lead".lower(),
            f"{lead_first} {lead_last}",
            [Role.AGENT, Role.TEAM_LEAD],
            department="IT",
            location="London",
            manager=cio,
        )
        members = [lead]
        for m in range(4):
            first, last = _person(t_index * 5 + m + 1)
            members.append(
                ensure_user(
                    f"{first}.{last}.{t_index}{m}".lower(),
                    f"{first} {last}",
                    [Role.AGENT],
                    department="IT",
                    location=LOCATIONS[m % len(LOCATIONS)],
                    manager=lead,
                )
            )
        agents.append((team_name, lead, members))
    progress(f"{len(users)} people so far")

    teams = {t.name: t for t in Team.objects.all()}
    for (team_name, team_type, _), (_, lead, members) in zip(TEAMS, agents, strict=True):
        if team_name not in teams:
            teams[team_name] = team_create(
                actor=None,
                name=team_name,
                type=team_type,
                lead=lead,
                members=members,
                email=f"{team_name.lower().replace(' & ', '-').replace(' ', '-')}@example.com",
            )
    for team_name, _, escalation in TEAMS:
        team = teams[team_name]
        if escalation and team.escalation_team_id is None:
            team.escalation_team = teams[escalation]
            team.save(update_fields=["escalation_team"])
    progress(f"{len(teams)} support groups")

    # Requesters across the business, a few of them VIPs.
    for index in range(60):
        first, last = _person(index + 3)
        department = DEPARTMENTS[index % len(DEPARTMENTS)]
        sites = DEPARTMENT_SITES.get(department, ["London"])
        ensure_user(
            f"{first}.{last}{index}".lower(),
            f"{first} {last}",
            [Role.REQUESTER],
            department=department,
            location=sites[index // len(DEPARTMENTS) % len(sites)],
            is_vip=index % 17 == 0,
        )
    ensure_user(
        "requester", "Riley Requester", [Role.REQUESTER], department="Finance", location="London"
    )
    ensure_user("agent", "Avery Agent", [Role.AGENT], department="IT", location="London")
    teams["Service Desk"].members.add(users["agent"])
    # One slow Argon2 hash shared by every demo account, instead of one per person.
    User.objects.filter(pk__in=created).update(password=make_password(DEMO_PASSWORD))
    progress(
        f"{len(users)} people; demo sign-ins 'agent' and 'requester', password '{DEMO_PASSWORD}'"
    )
