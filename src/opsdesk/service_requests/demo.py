"""Demo service catalog of Larkfield Home (see ``opsdesk.core.demo`` for the company's story).

What people order from IT: laptops, monitors and headsets, software, shared mailboxes, access
to VPN, shared drives and ERP, password resets, and the joiner and leaver bundles HR raises for
every new colleague. Each department's head approves what their people order (the ``approver``
sign-in heads Finance and approves Riley Requester's orders); ``catalog`` keeps the catalog.

This week's orders tell the story: Riley waits for approval of a new laptop; a new starter in
Logistics is being set up by four teams at once; a monitor was delivered; Marketing's
design-software licence was refused; Customer Care was asked which shared mailbox it means.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from opsdesk.approvals.models import ApprovalRequest, ApprovalScheme
from opsdesk.approvals.services import approval_decide, scheme_create
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.demo import DEMO_PASSWORD, DEPARTMENTS
from opsdesk.core.formschema import form_schema_save
from opsdesk.core.models import FormSchema, Team, User
from opsdesk.core.roles import Role
from opsdesk.core.services import user_create
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.task import tasks_of
from opsdesk.service_requests import services
from opsdesk.service_requests.models import CatalogCategory, CatalogItem, PlanStep, RequestItem
from opsdesk.sla.models import BusinessCalendar, SlaPolicy
from opsdesk.sla.policies import policy_create

CATEGORIES = [
    ("Hardware", "hardware", "💻", "Laptops, screens, phones and what plugs into them."),
    ("Software", "software", "🧩", "Applications and licences."),
    ("Access", "access", "🔑", "VPN, shared drives, business applications."),
    ("Accounts & passwords", "accounts", "🔒", "Passwords, MFA, sign-in."),
    ("Email & collaboration", "collaboration", "📧", "Mailboxes, lists, Teams."),
    ("People changes", "people", "👋", "Joiners, movers and leavers."),
]
SD, IAM, NET = "Service Desk", "Identity & Access", "Network Operations"
COLLAB, ERP, SERVERS = "Collaboration Apps", "ERP Applications", "Server & Storage"

# slug: (category, name, summary, owner team, cost, needs approval, standard, keywords,
#        [(step name, team, after [step names], action, ola hours)])
ITEMS = {
    "new-laptop": (
        "hardware",
        "New laptop",
        "A 14-inch business laptop with Windows, Office and your department's software.",
        SD,
        Decimal("1250.00"),
        True,
        False,
        "notebook computer pc replacement",
        [
            ("Build and enrol the laptop", SD, [], "manual", 16),
            (
                "Hand over and move the user's files",
                SD,
                ["Build and enrol the laptop"],
                "manual",
                8,
            ),
        ],
    ),
    "monitor": (
        "hardware",
        "Monitor",
        "A 27-inch screen for your desk, with its cable.",
        SD,
        Decimal("210.00"),
        False,
        True,
        "screen display second monitor",
        [("Deliver the monitor", SD, [], "manual", 16)],
    ),
    "docking-station": (
        "hardware",
        "Docking station",
        "A USB-C dock: two screens, network and charging with one cable.",
        SD,
        Decimal("180.00"),
        False,
        True,
        "dock usb-c port replicator",
        [("Deliver the dock", SD, [], "manual", 16)],
    ),
    "headset": (
        "hardware",
        "Headset",
        "A noise-cancelling headset for calls.",
        SD,
        Decimal("95.00"),
        False,
        True,
        "headphones microphone teams calls",
        [("Send the headset", SD, [], "manual", 16)],
    ),
    "mobile-phone": (
        "hardware",
        "Mobile phone",
        "A company smartphone with email and MFA set up.",
        SD,
        Decimal("640.00"),
        True,
        False,
        "smartphone iphone android mobile",
        [("Set up and send the phone", SD, [], "manual", 24)],
    ),
    "software-install": (
        "software",
        "Install software",
        "An application from the approved list, installed on your laptop.",
        SD,
        None,
        True,
        False,
        "application program install licence",
        [("Install the software", SD, [], "manual", 8)],
    ),
    "design-software": (
        "software",
        "Design software licence",
        "A creative-suite licence for image, video and layout work.",
        COLLAB,
        Decimal("720.00"),
        True,
        False,
        "adobe photoshop illustrator creative",
        [("Assign the licence", COLLAB, [], "manual", 8)],
    ),
    "shared-mailbox": (
        "collaboration",
        "Shared mailbox",
        "A mailbox a team shares, like orders@ or support@.",
        COLLAB,
        None,
        True,
        False,
        "email inbox team mailbox outlook",
        [
            ("Create the mailbox", COLLAB, [], "manual", 8),
            ("Grant the members access", IAM, ["Create the mailbox"], "manual", 8),
        ],
    ),
    "distribution-list": (
        "collaboration",
        "Distribution list",
        "An email address that reaches a group of people.",
        COLLAB,
        None,
        False,
        True,
        "email group list",
        [("Create the list", COLLAB, [], "manual", 8)],
    ),
    "vpn-access": (
        "access",
        "VPN access",
        "Work from home or on the road over the company VPN.",
        IAM,
        None,
        True,
        False,
        "remote home globalprotect vpn",
        [("Add to the VPN group", IAM, [], "manual", 4)],
    ),
    "shared-drive": (
        "access",
        "Access to a shared drive",
        "Read or write access to a team's shared folder.",
        IAM,
        None,
        True,
        False,
        "folder share drive files network drive",
        [("Grant the folder access", IAM, [], "manual", 4)],
    ),
    "erp-access": (
        "access",
        "ERP access",
        "A role in the ERP for finance or logistics work.",
        ERP,
        None,
        True,
        False,
        "sap erp finance logistics role",
        [("Give the ERP role", ERP, [], "manual", 8)],
    ),
    "password-reset": (
        "accounts",
        "Password reset",
        "A new temporary password, sent to your phone; no waiting for anyone.",
        IAM,
        None,
        False,
        True,
        "password locked forgot expired login",
        [("Reset the password", IAM, [], "webhook", 1)],
    ),
    "mfa-reset": (
        "accounts",
        "Register a new phone for MFA",
        "Move your sign-in prompts to a new phone.",
        SD,
        None,
        False,
        True,
        "mfa authenticator phone two-factor",
        [("Reset the MFA registration", SD, [], "manual", 4)],
    ),
    "new-starter": (
        "people",
        "New starter",
        "Everything a new colleague needs on day one: accounts, laptop, ERP and network.",
        SD,
        None,
        True,
        False,
        "joiner onboarding new hire employee",
        [
            ("Create the accounts", IAM, [], "manual", 8),
            ("Prepare the laptop", SD, ["Create the accounts"], "manual", 16),
            ("Give the ERP role", ERP, ["Create the accounts"], "manual", 16),
            ("Set up the desk phone and mailbox", COLLAB, ["Create the accounts"], "manual", 16),
            ("Patch the desk's network port", NET, ["Create the accounts"], "manual", 16),
        ],
    ),
    "leaver": (
        "people",
        "Leaver",
        "When a colleague leaves: accounts closed, laptop collected, files handed on.",
        SD,
        None,
        False,
        True,
        "leaving offboarding exit",
        [
            ("Disable the accounts", IAM, [], "manual", 4),
            ("Collect the laptop", SD, [], "manual", 24),
            ("Hand the files to the manager", SERVERS, ["Disable the accounts"], "manual", 16),
        ],
    ),
    "support-group": (
        "access",
        "Join a support group (IT staff)",
        "Join an IT team's queue in opsdesk, e.g. to cover the Service Desk.",
        SD,
        None,
        False,
        True,
        "queue team opsdesk agent",
        [("Add to the Service Desk", SD, [], "add_to_team", 1)],
    ),
}
# Who approves what: the approval engine's demo gives "Hardware" and "Privileged access"; the
# catalog adds the line manager's and the licence owner's.
APPROVALS = {
    "new-laptop": "Hardware",
    "mobile-phone": "Hardware",
    "software-install": "Licence owner",
    "design-software": "Licence owner",
    "shared-mailbox": "Line manager",
    "vpn-access": "Line manager",
    "shared-drive": "Line manager",
    "erp-access": "Privileged access",
    "new-starter": "Line manager",
}
SERVICES = {"erp-access": "ERP – Finance & Logistics", "vpn-access": "Remote access (VPN)"}


def _choices(*pairs):
    return [{"value": v, "label": label} for v, label in pairs]


# Each item's questions (a form-schema field list); items not named here ask nothing.
FORMS = {
    "new-laptop": [
        {
            "key": "model",
            "label": "Which laptop",
            "type": "single_choice",
            "required": True,
            "default": "standard",
            "choices": _choices(
                ("standard", "Standard 14-inch (most people)"),
                ("developer", "Developer 16-inch, 32 GB"),
            ),
        },
        {
            "key": "justification",
            "label": "Why the developer laptop",
            "type": "long_text",
            "visible_if": "model == 'developer'",
            "required_if": "model == 'developer'",
        },
        {"key": "needed_by", "label": "Needed by", "type": "date"},
        {
            "key": "replaces",
            "label": "It replaces an old laptop",
            "type": "checkbox",
            "help": "Tick it and we collect the old one when we deliver.",
        },
    ],
    "software-install": [
        {
            "key": "software",
            "label": "Software",
            "type": "single_choice",
            "required": True,
            "choices": _choices(
                ("visio", "Visio"),
                ("project", "Project"),
                ("tableau", "Tableau Desktop"),
                ("other", "Something else"),
            ),
        },
        {
            "key": "other",
            "label": "Which software",
            "type": "text",
            "visible_if": "software == 'other'",
            "required_if": "software == 'other'",
        },
    ],
    "shared-mailbox": [
        {
            "key": "address",
            "label": "Address",
            "type": "email",
            "required": True,
            "placeholder": "returns@larkfield.example",
        },
        {
            "key": "members",
            "label": "Who should have it",
            "type": "long_text",
            "required": True,
            "help": "Names or e-mail addresses, one per line.",
        },
    ],
    "vpn-access": [
        {"key": "reason", "label": "What you need it for", "type": "text", "required": True},
        {"key": "until", "label": "Until (leave empty if it stays)", "type": "date"},
    ],
    "shared-drive": [
        {
            "key": "folder",
            "label": "Folder",
            "type": "text",
            "required": True,
            "placeholder": r"\\files\\finance\\month-end",
        },
        {
            "key": "access",
            "label": "Access",
            "type": "single_choice",
            "required": True,
            "default": "read",
            "choices": _choices(("read", "Read only"), ("write", "Read and write")),
        },
    ],
    "new-starter": [
        {"key": "start_date", "label": "First day", "type": "date", "required": True},
        {"key": "job_title", "label": "Job title", "type": "text", "required": True},
        {
            "key": "needs_erp",
            "label": "Works in the ERP (finance or logistics)",
            "type": "checkbox",
        },
        {
            "key": "erp_role",
            "label": "ERP role",
            "type": "single_choice",
            "visible_if": "needs_erp == true",
            "required_if": "needs_erp == true",
            "choices": _choices(("ap_clerk", "Accounts payable"), ("warehouse", "Warehouse clerk")),
        },
    ],
}
# The demo's password reset calls the identity team's automation here; until it answers, the
# task falls back to the team after a few tries, with the reason on it.
RESET_HOOK = "http://127.0.0.1:8089/password-reset"


def _people(progress) -> dict[str, User]:
    """Department heads who approve, Riley's manager among them, and the catalog keeper."""
    made = []
    users = {u.username: u for u in User.objects.filter(username__in=["approver", "catalog"])}
    if "approver" not in users:
        users["approver"] = user_create(
            actor=None,
            username="approver",
            display_name="Jordan Approver",
            email="approver@example.com",
            roles=[Role.REQUESTER, Role.APPROVER],
            department="Finance",
            location="London",
        )
        made.append(users["approver"].pk)
    if "catalog" not in users:
        users["catalog"] = user_create(
            actor=None,
            username="catalog",
            display_name="Casey Catalog",
            email="catalog@example.com",
            roles=[Role.AGENT, Role.CATALOG_MANAGER],
            department="IT",
            location="London",
        )
        made.append(users["catalog"].pk)
        Team.objects.get(name=SD).members.add(users["catalog"])
    User.objects.filter(pk__in=made).update(password=make_password(DEMO_PASSWORD))
    # Every department's first requester heads it; the others report to them.
    heads = {"Finance": users["approver"]}
    for department in DEPARTMENTS:
        staff = (
            User.objects.filter(
                department=department, groups__name=str(Role.REQUESTER), manager__isnull=True
            )
            .exclude(username="approver")
            .order_by("pk")
        )
        head = heads.get(department) or staff.first()
        if head is None:
            continue
        if department not in heads:
            head.groups.add(*_groups(Role.APPROVER))
        staff.exclude(pk=head.pk).update(manager=head)
    progress("department heads approve their people's orders; sign-ins 'approver', 'catalog'")
    return users


def _groups(*roles):
    from django.contrib.auth.models import Group

    return [Group.objects.get_or_create(name=str(r))[0] for r in roles]


def _schemes(teams) -> dict[str, ApprovalScheme]:
    admin = User.objects.filter(groups__name=str(Role.ADMINISTRATOR), is_active=True).first()
    schemes = {s.name: s for s in ApprovalScheme.objects.all()}
    if admin is None:
        return schemes
    wanted = [
        (
            "Line manager",
            "The manager of the person it is for; the CIO when there is none.",
            [
                {
                    "name": "Line manager",
                    "rule": "any",
                    "from_manager": True,
                    "fallback_approver": admin,
                    "timeout_hours": 72,
                    "timeout_action": "escalate",
                    "reminder_hours": 24,
                }
            ],
        ),
        (
            "Licence owner",
            "Collaboration Apps' lead keeps the licence count.",
            [
                {
                    "name": "Licence owner",
                    "rule": "any",
                    "from_users": [teams[COLLAB].lead] if teams[COLLAB].lead else [],
                    "fallback_approver": admin,
                    "timeout_hours": 48,
                    "timeout_action": "escalate",
                    "reminder_hours": 24,
                }
            ],
        ),
    ]
    for name, description, stages in wanted:
        if name not in schemes:
            schemes[name] = scheme_create(
                actor=admin, name=name, description=description, stages=stages
            )
    return schemes


def _forms() -> dict[str, FormSchema]:
    admin = User.objects.filter(groups__name=str(Role.ADMINISTRATOR), is_active=True).first()
    forms = {f.slug: f for f in FormSchema.objects.all()}
    for slug, fields in FORMS.items():
        if slug not in forms and admin is not None:
            name = ITEMS[slug][1]
            forms[slug] = form_schema_save(actor=admin, name=name, slug=slug, fields=fields)
    return forms


def _catalog(teams) -> dict[str, CatalogItem]:
    categories = {c.slug: c for c in CatalogCategory.objects.all()}
    for order, (name, slug, icon, description) in enumerate(CATEGORIES, start=1):
        if slug not in categories:
            categories[slug] = services.category_save(
                actor=None, name=name, slug=slug, icon=icon, description=description, order=order
            )
    schemes = _schemes(teams)
    forms = _forms()
    services_by_name = {
        ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=SERVICES.values())
    }
    items = {i.slug: i for i in CatalogItem.objects.all()}
    for slug, spec in ITEMS.items():
        if slug in items:
            continue
        category, name, summary, owner, cost, approval, standard, keywords, steps = spec
        item = services.catalog_item_save(
            actor=None,
            slug=slug,
            name=name,
            category=categories[category],
            short_description=summary,
            owner_team=teams[owner],
            cost=cost,
            needs_approval=approval and APPROVALS.get(slug) in schemes,
            approval_scheme=schemes.get(APPROVALS.get(slug, "")),
            form=forms.get(slug),
            service=services_by_name.get(SERVICES.get(slug, "")),
            privileged=slug == "erp-access",
            standard=standard,
            keywords=keywords,
            audience_roles=[str(Role.AGENT)] if slug == "support-group" else [],
        )
        made: dict[str, PlanStep] = {}
        for order, (step_name, team, after, action, hours) in enumerate(steps, start=1):
            made[step_name] = services.plan_step_save(
                actor=None,
                item=item,
                name=step_name,
                team=teams[team],
                order=order * 10,
                after=[made[a] for a in after],
                action=action,
                target_team=teams[SD] if action == "add_to_team" else None,
                webhook_url=RESET_HOOK if action == "webhook" else "",
                webhook_secret="larkfield-demo-automation" if action == "webhook" else "",
                ola_hours=hours,
            )
        items[slug] = item
    return items


def _policies() -> None:
    calendar = BusinessCalendar.objects.filter(name="Business hours (London)").first()
    if calendar is None or SlaPolicy.objects.filter(record_type="request_item").exists():
        return
    day = timedelta(hours=10)
    for order, (name, conditions, target) in enumerate(
        [
            ("Password and MFA within 4 hours", {"category": ["accounts"]}, timedelta(hours=4)),
            ("Hardware within 5 days", {"category": ["hardware"]}, 5 * day),
            ("Requests within 3 days", {}, 3 * day),
        ],
        start=1,
    ):
        policy_create(
            actor=None,
            name=name,
            order=100 + order,
            record_type="request_item",
            conditions=conditions,
            resolution_target=target,
            resolution_calendar=calendar,
            pause_states=["info_needed"],
        )


def _orders(items, users) -> int:
    if RequestItem.objects.exists():
        return 0
    riley = User.objects.get(username="requester")
    staff = {
        d: User.objects.filter(department=d, groups__name=str(Role.REQUESTER))
        .exclude(username__in=["approver", "requester"])
        .order_by("pk")
        for d in ("Logistics", "Marketing", "Customer Care", "Sales")
    }
    worker = {t.name: t.members.order_by("pk").first() for t in Team.objects.all()}
    # Riley's new laptop waits for Jordan's approval.
    services.request_submit(
        actor=riley,
        lines=[(items["new-laptop"], {"model": "standard", "replaces": "on"}, 1)],
    )
    # A monitor for Sales, delivered and confirmed.
    seller = staff["Sales"][0]
    monitor = services.request_submit(actor=seller, lines=[(items["monitor"], {}, 1)])
    item = monitor.items.get()
    task = tasks_of(item).get()
    tickets.ticket_transition(
        actor=worker[SD], record=task, action="complete", reason="Delivered to desk 4.12."
    )
    services.plan_task_closed(task=task)
    services.item_transition(actor=seller, item=RequestItem.objects.get(pk=item.pk), action="close")
    # A new starter in Logistics: accounts are done, four teams work at once.
    manager = staff["Logistics"][0]
    starter = services.request_submit(
        actor=manager,
        lines=[
            (
                items["new-starter"],
                {
                    "start_date": "2026-12-07",
                    "job_title": "Warehouse team lead",
                    "needs_erp": "on",
                    "erp_role": "warehouse",
                },
                1,
            )
        ],
        requested_for=staff["Logistics"][1],
    )
    item = starter.items.get()
    _decide(item, "approve", "Welcome aboard.")
    first = tasks_of(item).get()
    tickets.ticket_transition(
        actor=worker[IAM], record=first, action="complete", reason="Account and email created."
    )
    services.plan_task_closed(task=first)
    # Customer Care asked for a shared mailbox; the desk asks which address.
    carer = staff["Customer Care"][0]
    mailbox = services.request_submit(
        actor=carer,
        lines=[
            (
                items["shared-mailbox"],
                {"address": "returns@larkfield.example", "members": "The returns team"},
                1,
            )
        ],
    )
    item = mailbox.items.get()
    _decide(item, "approve", "Yes, for the returns team.")
    services.item_transition(
        actor=worker[COLLAB],
        item=RequestItem.objects.get(pk=item.pk),
        action="ask",
        reason="Which address should it have: returns@ or refunds@?",
    )
    # Marketing's design-software licence was refused this quarter.
    designer = staff["Marketing"][0]
    refused = services.request_submit(actor=designer, lines=[(items["design-software"], {}, 1)])
    _decide(
        refused.items.get(),
        "reject",
        "No licences left this quarter; the shared design laptop has the suite.",
    )
    # Headsets need nothing but the desk.
    services.request_submit(actor=staff["Sales"][1], lines=[(items["headset"], {}, 2)])
    return 6


def _decide(item, decision: str, comment: str) -> None:
    """Each pending approver of the item decides, as they would from their inbox."""
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(item)
    for _ in range(10):
        pending = (
            ApprovalRequest.objects.filter(
                run__approval__subject_type=kind, run__approval__subject_id=item.pk, state="pending"
            )
            .select_related("approver")
            .first()
        )
        if pending is None:
            return
        approval_decide(
            request=pending,
            decision=decision,
            comment=comment,
            actor=pending.approver,
            via="inbox",
        )


def load(*, progress) -> None:
    teams = {t.name: t for t in Team.objects.all()}
    users = _people(progress)
    items = _catalog(teams)
    progress(f"{len(items)} catalog items in {len(CATEGORIES)} categories")
    _policies()
    made = _orders(items, users)
    if made:
        progress(f"{made} requests in every state of their story")
