"""Demo access management of Larkfield Home (see ``opsdesk.core.demo`` for the company's story).

Who may do what in five of the company's systems: the ERP, Payroll, the VPN, the Customer
Support Portal and Document Sharing. Each entitlement has an owner in the business who
approves and reviews it, and an IT team that grants it by hand (no directory is connected in
the demo, so every grant and removal is a "to do by hand" step for that team).

This week's story: Robin Reviewer (sign-in ``reviewer``), the financial controller who owns the
ERP roles, is half-way through the quarterly review of who holds them and has a request of
Finance's waiting for her. Jordan Approver (``approver``), who heads Finance, has a payment
approver request to decide. Riley Requester (``requester``) sets up vendors in accounts payable,
so asking for "Payment approver" is refused: one person may not create a vendor and approve
its payments. A payroll officer asked to edit employee records while HR is away, which needs
the CIO's exception on top of the usual approvals. An ERP administrator and a network engineer
hold privileged access that ends within days. Someone in Customer Care leaves today and waits
for an access manager (any administrator, e.g. ``admin``) to process them; a Sales colleague
who left last week has already lost everything.
"""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from opsdesk.access import services
from opsdesk.access.models import (
    AccessPackage,
    AccessRequest,
    BirthrightRule,
    Entitlement,
    EntitlementKind,
    GrantSource,
    NoAnswer,
    ProvisioningStep,
    ReviewCampaign,
    ReviewerSource,
    ReviewItem,
    Risk,
    SodAction,
    SodRule,
    StepState,
)
from opsdesk.access.services import reviews
from opsdesk.approvals.models import ApprovalRequest, ApprovalScheme
from opsdesk.approvals.services import approval_decide, scheme_create
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.demo import DEMO_PASSWORD, DEPARTMENTS
from opsdesk.core.models import Team, User
from opsdesk.core.roles import Role
from opsdesk.core.services import user_create, user_update

ERP = "ERP – Finance & Logistics"
PAYROLL = "Payroll"
VPN = "Remote access (VPN)"
SUPPORT = "Customer Support Portal"
DOCUMENTS = "Document Sharing"
APPLICATIONS = [ERP, PAYROLL, VPN, SUPPORT, DOCUMENTS]

MANAGER_THEN_OWNER = "Manager, then owner"
PRIVILEGED = "Privileged: manager, then owner"
SOD_STAGE = "Exception to segregation of duties"

# Owners: "reviewer" (the financial controller), a department's head, or a team's lead.
# name: (application, kind, risk, owner, owner team, needs justification, max days, description)
ENTITLEMENTS = {
    "Finance reports": (
        ERP,
        EntitlementKind.ROLE,
        Risk.LOW,
        "reviewer",
        "ERP Applications",
        False,
        None,
        "Read the month-end and budget reports.",
    ),
    "Create vendors": (
        ERP,
        EntitlementKind.ROLE,
        Risk.MEDIUM,
        "reviewer",
        "ERP Applications",
        False,
        None,
        "Set up suppliers and their bank details (accounts payable).",
    ),
    "Approve payments": (
        ERP,
        EntitlementKind.ROLE,
        Risk.HIGH,
        "reviewer",
        "ERP Applications",
        True,
        None,
        "Release the payment runs to the bank.",
    ),
    "ERP administrator": (
        ERP,
        EntitlementKind.ROLE,
        Risk.PRIVILEGED,
        "reviewer",
        "ERP Applications",
        True,
        30,
        "Change the ERP's configuration, jobs and users.",
    ),
    "Edit employee records": (
        PAYROLL,
        EntitlementKind.ROLE,
        Risk.HIGH,
        "head:Human Resources",
        "ERP Applications",
        True,
        None,
        "Change salaries, bank details and contracts in the HR portal.",
    ),
    "Run payroll": (
        PAYROLL,
        EntitlementKind.ROLE,
        Risk.HIGH,
        "head:Human Resources",
        "ERP Applications",
        False,
        None,
        "Calculate and submit the monthly payroll run.",
    ),
    "Payroll administrator": (
        PAYROLL,
        EntitlementKind.ROLE,
        Risk.PRIVILEGED,
        "head:Human Resources",
        "ERP Applications",
        True,
        14,
        "Configure the payroll engine and its tax tables.",
    ),
    "VPN": (
        VPN,
        EntitlementKind.GROUP,
        Risk.LOW,
        "lead:Network Operations",
        "Network Operations",
        False,
        None,
        "Work from home or on the road.",
    ),
    "Admin VPN (server networks)": (
        VPN,
        EntitlementKind.GROUP,
        Risk.PRIVILEGED,
        "lead:Identity & Access",
        "Network Operations",
        True,
        7,
        "Reach the data centre's server networks, for IT staff on call or changing them.",
    ),
    "Support agent": (
        SUPPORT,
        EntitlementKind.LICENCE,
        Risk.MEDIUM,
        "head:Customer Care",
        "Collaboration Apps",
        False,
        None,
        "Answer customers' tickets and see their orders.",
    ),
    "Refunds above £500": (
        SUPPORT,
        EntitlementKind.PERMISSION_SET,
        Risk.HIGH,
        "head:Customer Care",
        "Collaboration Apps",
        True,
        None,
        "Refund a customer more than £500 without a second signature.",
    ),
    "Finance month-end folder": (
        DOCUMENTS,
        EntitlementKind.GROUP,
        Risk.LOW,
        "approver",
        "Collaboration Apps",
        False,
        None,
        r"Read and write \\files\finance\month-end.",
    ),
    "Legal contracts folder": (
        DOCUMENTS,
        EntitlementKind.GROUP,
        Risk.MEDIUM,
        "head:Legal",
        "Collaboration Apps",
        False,
        None,
        "Edit the signed contracts and their drafts.",
    ),
}

# slug: (name, icon, entitlements, audience departments, audience roles, scheme,
#        default days, max days, review every days, description)
PACKAGES = {
    "finance-reports": (
        "ERP finance reports",
        "📊",
        ["Finance reports"],
        ["Finance"],
        [],
        None,
        None,
        None,
        None,
        "Month-end and budget reports; granted at once.",
    ),
    "accounts-payable": (
        "Accounts payable (create vendors)",
        "🧾",
        ["Create vendors"],
        ["Finance"],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        90,
        "Set up suppliers in the ERP. Not with payment approval.",
    ),
    "payment-approver": (
        "Payment approver",
        "💷",
        ["Approve payments"],
        ["Finance"],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        90,
        "Release payment runs. Not for anyone who sets up vendors.",
    ),
    "erp-administrator": (
        "ERP administrator",
        "🛠️",
        ["ERP administrator"],
        [],
        [str(Role.AGENT)],
        PRIVILEGED,
        7,
        30,
        30,
        "Privileged: for ERP Applications, a week at a time.",
    ),
    "employee-records": (
        "Employee records",
        "🗂️",
        ["Edit employee records"],
        ["Human Resources", "Finance"],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        90,
        "Change salaries, bank details and contracts.",
    ),
    "payroll-run": (
        "Run payroll",
        "🧮",
        ["Run payroll"],
        ["Human Resources", "Finance"],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        90,
        "Calculate and submit the monthly payroll.",
    ),
    "payroll-administrator": (
        "Payroll administrator",
        "⚙️",
        ["Payroll administrator"],
        [],
        [str(Role.AGENT)],
        PRIVILEGED,
        7,
        14,
        30,
        "Privileged: configure the payroll engine, two weeks at most.",
    ),
    "vpn": (
        "VPN",
        "🌐",
        ["VPN"],
        [],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        None,
        "Everyone has it from their first day; ask here if yours is missing.",
    ),
    "admin-vpn": (
        "Admin VPN (server networks)",
        "🛡️",
        ["Admin VPN (server networks)"],
        [],
        [str(Role.AGENT)],
        PRIVILEGED,
        1,
        7,
        30,
        "Privileged: the data centre's server networks, a day by default.",
    ),
    "support-agent": (
        "Customer Support Portal agent",
        "🎧",
        ["Support agent"],
        ["Customer Care", "Marketing"],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        180,
        "Answer customers' tickets.",
    ),
    "large-refunds": (
        "Large refunds",
        "💳",
        ["Refunds above £500"],
        ["Customer Care"],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        90,
        "Refund more than £500 on your own signature.",
    ),
    "finance-folder": (
        "Finance month-end folder",
        "📁",
        ["Finance month-end folder"],
        ["Finance"],
        [],
        None,
        None,
        None,
        None,
        "Finance's shared month-end files; granted at once.",
    ),
    "legal-contracts": (
        "Legal contracts folder",
        "⚖️",
        ["Legal contracts folder"],
        ["Legal"],
        [],
        MANAGER_THEN_OWNER,
        None,
        None,
        180,
        "Edit the signed contracts and drafts.",
    ),
}

VENDOR_RULE = "Create vendors and approve payments"
PAYROLL_RULE = "Edit employee records and run payroll"
SOD_RULES = [
    (
        VENDOR_RULE,
        "Whoever sets up a supplier must not also release its payments.",
        ["Create vendors"],
        ["Approve payments"],
        SodAction.BLOCK,
    ),
    (
        PAYROLL_RULE,
        "Whoever changes salaries should not also run the payroll that pays them; an "
        "exception needs the CIO's approval.",
        ["Edit employee records"],
        ["Run payroll"],
        SodAction.EXTRA_APPROVAL,
    ),
]
# name: (department, entitlements); an empty department means everyone.
BIRTHRIGHTS = {
    "Everyone: VPN": ("", ["VPN"]),
    "Finance: reports and month-end folder": (
        "Finance",
        ["Finance reports", "Finance month-end folder"],
    ),
}


def _groups(*roles):
    from django.contrib.auth.models import Group

    return [Group.objects.get_or_create(name=str(r))[0] for r in roles]


def _people(progress) -> dict[str, User]:
    """The sign-ins of this story and each department's head.

    Access runs before the service catalog's demo, which makes Jordan Approver and the
    reporting lines too; both make them the same way (each department's first requester heads
    it, Jordan heads Finance), so whichever runs first leaves nothing for the other to change.
    """
    made = []
    users = {u.username: u for u in User.objects.filter(username__in=["approver", "reviewer"])}
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
    if "reviewer" not in users:
        users["reviewer"] = user_create(
            actor=None,
            username="reviewer",
            display_name="Robin Reviewer",
            email="reviewer@example.com",
            roles=[Role.REQUESTER, Role.APPROVER],
            department="Finance",
            location="London",
            job_title="Financial controller",
        )
        made.append(users["reviewer"].pk)
    User.objects.filter(pk__in=made).update(password=make_password(DEMO_PASSWORD))
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
        heads[department] = head
    people = {**users, **{f"head:{d}": h for d, h in heads.items()}}
    for team in Team.objects.select_related("lead"):
        if team.lead is not None:
            people[f"lead:{team.name}"] = team.lead
    progress("access reviewer sign-in 'reviewer' (Robin Reviewer owns the ERP roles)")
    return people


def _staff(department: str) -> list[User]:
    """The department's people in the order they joined, without this story's sign-ins."""
    return list(
        User.objects.filter(department=department, groups__name=str(Role.REQUESTER))
        .exclude(username__in=["approver", "requester", "reviewer"])
        .exclude(manager__isnull=True)
        .order_by("pk")
    )


def _schemes(admin: User) -> dict[str, ApprovalScheme]:
    named = ApprovalScheme.objects.filter(name__in=[MANAGER_THEN_OWNER, PRIVILEGED])
    schemes = {s.name: s for s in named}
    sod_stage = {
        "name": SOD_STAGE,
        "rule": "any",
        "condition": "sod_conflict == true",
        "from_users": [admin],
        "reminder_hours": 24,
    }
    wanted = [
        (
            MANAGER_THEN_OWNER,
            "The requester's manager, then every entitlement's owner; the CIO too when the "
            "access conflicts with what the person already holds.",
            [
                {
                    "name": "Manager",
                    "rule": "any",
                    "from_manager": True,
                    "fallback_approver": admin,
                    "timeout_hours": 72,
                    "timeout_action": "escalate",
                    "reminder_hours": 24,
                },
                {
                    "name": "Entitlement owner",
                    "rule": "all",
                    "from_answer": "entitlement_owners",
                    "fallback_approver": admin,
                    "reminder_hours": 24,
                },
                sod_stage,
            ],
        ),
        (
            PRIVILEGED,
            "Administrator rights: two keys, the manager and then the owner; never automatic, "
            "refused when nobody answers in two days.",
            [
                {
                    "name": "Manager",
                    "rule": "any",
                    "from_manager": True,
                    "fallback_approver": admin,
                    "timeout_hours": 48,
                    "timeout_action": "reject",
                    "reminder_hours": 8,
                },
                {
                    "name": "Entitlement owner",
                    "rule": "all",
                    "from_answer": "entitlement_owners",
                    "timeout_hours": 48,
                    "timeout_action": "reject",
                    "reminder_hours": 8,
                },
                sod_stage,
            ],
        ),
    ]
    for name, description, stages in wanted:
        if name not in schemes:
            schemes[name] = scheme_create(
                actor=admin, name=name, description=description, stages=stages
            )
    return schemes


def _setup(admin: User, people: dict[str, User]) -> dict[str, Entitlement]:
    """Entitlements, packages, duty rules and birthrights: what an access manager configures."""
    applications = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=APPLICATIONS)}
    teams = {t.name: t for t in Team.objects.all()}
    entitlements = {}
    for name, spec in ENTITLEMENTS.items():
        app, kind, risk, owner, team, justify, max_days, description = spec
        entitlements[name] = Entitlement.objects.create(
            name=name,
            description=description,
            application=applications[app],
            kind=kind,
            risk=risk,
            owner=people[owner],
            owner_team=teams[team],
            needs_justification=justify,
            max_duration_days=max_days,
        )
    schemes = _schemes(admin)
    for slug, spec in PACKAGES.items():
        name, icon, names, departments, roles, scheme, default, longest, review, text = spec
        package = AccessPackage.objects.create(
            name=name,
            slug=slug,
            icon=icon,
            description=text,
            audience_departments=departments,
            audience_roles=roles,
            approval_scheme=schemes[scheme] if scheme else None,
            default_duration_days=default,
            max_duration_days=longest,
            review_every_days=review,
        )
        package.entitlements.set([entitlements[n] for n in names])
    for name, description, left, right, action in SOD_RULES:
        rule = SodRule.objects.create(name=name, description=description, action=action)
        rule.left.set([entitlements[n] for n in left])
        rule.right.set([entitlements[n] for n in right])
    for name, (department, names) in BIRTHRIGHTS.items():
        birthright = BirthrightRule.objects.create(name=name, department=department)
        birthright.entitlements.set([entitlements[n] for n in names])
    return entitlements


def _held(admin, entitlements, people) -> None:
    """What people already had before opsdesk: recorded as it is in the systems (so nothing
    is left to do by hand), plus the access rules give."""
    everyone = User.objects.filter(is_active=True).filter(
        Q(groups__name=str(Role.REQUESTER)) | Q(department="IT")
    )
    for person in everyone.distinct().order_by("pk"):
        services.grant_create(
            actor=None,
            holder=person,
            entitlement=entitlements["VPN"],
            source=GrantSource.BIRTHRIGHT,
            reason="Birthright: Everyone: VPN",
            already_provisioned=True,
        )
    finance = [people["approver"], people["reviewer"], people["requester"], *_staff("Finance")]
    for person in finance:
        for name in ("Finance reports", "Finance month-end folder"):
            services.grant_create(
                actor=None,
                holder=person,
                entitlement=entitlements[name],
                source=GrantSource.BIRTHRIGHT,
                reason="Birthright: Finance: reports and month-end folder",
                already_provisioned=True,
            )

    def migrated(person, name, reason, **window):
        return services.grant_create(
            actor=admin,
            holder=person,
            entitlement=entitlements[name],
            source=GrantSource.MIGRATION,
            reason=reason,
            already_provisioned=True,
            **window,
        )

    staff = {d: _staff(d) for d in ("Finance", "Human Resources", "Customer Care", "Legal")}
    migrated(people["approver"], "Approve payments", "From the old ERP: heads Finance")
    migrated(staff["Finance"][0], "Create vendors", "From the old ERP: accounts payable")
    # The old ERP let one person do both; the migration records it as it was, and the
    # violation waits on the violations page (the review below takes one side away).
    migrated(staff["Finance"][3], "Create vendors", "From the old ERP")
    migrated(staff["Finance"][3], "Approve payments", "From the old ERP")
    migrated(staff["Finance"][4], "Run payroll", "From the old payroll: payroll officer")
    for person in staff["Human Resources"][:3]:
        migrated(person, "Edit employee records", "From the old HR system")
    for person in staff["Legal"][:2]:
        migrated(person, "Legal contracts folder", "From the old file server")
    # Riley works in accounts payable: the rule for the team gives the vendor role.
    services.grant_create(
        actor=admin,
        holder=people["requester"],
        entitlement=entitlements["Create vendors"],
        source=GrantSource.RULE,
        reason="Accounts payable team",
        already_provisioned=True,
    )
    for person in staff["Customer Care"]:
        services.grant_create(
            actor=admin,
            holder=person,
            entitlement=entitlements["Support agent"],
            source=GrantSource.RULE,
            reason="Customer Care team",
            already_provisioned=True,
        )
    # A payroll engine upgrade: an ERP engineer holds the privileged role until it is done.
    erp_team = Team.objects.get(name="ERP Applications")
    engineer = erp_team.members.exclude(pk=erp_team.lead_id).order_by("pk")[2]
    now = timezone.now()
    migrated(
        engineer,
        "Payroll administrator",
        "Given in the old tool for the payroll engine upgrade (CHG-1042)",
        valid_to=now + timedelta(days=12),
    )


def _decide(record: AccessRequest, approver: User, decision: str, comment: str) -> None:
    """``approver`` decides their pending approval of ``record`` from their inbox."""
    kind = ContentType.objects.get_for_model(AccessRequest)
    pending = ApprovalRequest.objects.get(
        run__approval__subject_type=kind,
        run__approval__subject_id=record.pk,
        approver=approver,
        state="pending",
    )
    approval_decide(
        request=pending, decision=decision, comment=comment, actor=approver, via="inbox"
    )


def _done_by_hand(record: AccessRequest, team: Team) -> None:
    """Someone else in the owner team did the manual steps of the request's grants."""
    holder = record.requested_for_id or record.caller_id
    member = team.members.exclude(pk__in=[team.lead_id, holder]).order_by("pk").first()
    for step in ProvisioningStep.objects.filter(grant__request=record, state=StepState.MANUAL):
        services.manual_step_done(actor=member, step=step, note="Done in the admin console.")


def _requests(people) -> int:
    """This week's access requests, in every state of their story."""
    packages = {p.slug: p for p in AccessPackage.objects.all()}
    teams = {t.name: t for t in Team.objects.all()}
    finance = _staff("Finance")
    jordan, robin = people["approver"], people["reviewer"]
    now = timezone.now()
    made = 0

    def ask(person, slug, justification="", **values):
        nonlocal made
        made += 1
        return services.access_request_submit(
            actor=person, package=packages[slug], justification=justification, **values
        )

    # Waiting for Jordan: cover the payment runs while a colleague is on leave.
    ask(
        finance[1],
        "payment-approver",
        "Covering the payment runs while Sam is on leave over Christmas.",
        valid_to=now + timedelta(days=30),
    )
    # Jordan said yes; Robin, who owns the ERP roles, decides next.
    waiting = ask(finance[2], "accounts-payable", "Joining accounts payable in January.")
    _decide(waiting, jordan, "approve", "Agreed: the move to accounts payable is in January.")
    # A payroll officer asks to edit employee records while HR's records officer is away:
    # the duties conflict, so after the manager and the owner the CIO decides the exception.
    officer = finance[4]
    exception = ask(
        officer,
        "employee-records",
        "Correct bank details before the December run.",
        valid_to=now + timedelta(days=14),
        sod_exception="HR's records officer is on leave until the 18th; someone must "
        "correct bank details before the run. HR checks every change afterwards.",
        sod_exception_until=(now + timedelta(days=14)).date(),
    )
    _decide(exception, officer.manager, "approve", "Only until HR is back.")
    _decide(exception, people["head:Human Resources"], "approve", "HR checks the changes.")
    # Privileged and granted: an ERP engineer patches the payment job this week.
    erp = teams["ERP Applications"]
    engineer = erp.members.exclude(pk=erp.lead_id).order_by("pk").first()
    erp_admin = ask(engineer, "erp-administrator", "Patch the payment run job (CHG-1051).")
    _decide(erp_admin, engineer.manager, "approve", "Agreed in the change board.")
    _decide(erp_admin, robin, "approve", "For the patch only.")
    _done_by_hand(erp_admin, erp)
    # Privileged and ending in two days: on call for the data centre's switch upgrade.
    network = teams["Network Operations"]
    on_call = network.members.exclude(pk=network.lead_id).order_by("pk").first()
    vpn = ask(
        on_call,
        "admin-vpn",
        "On call for the core switch upgrade this weekend.",
        valid_to=now + timedelta(days=2),
    )
    _decide(vpn, on_call.manager, "approve", "Weekend on call.")
    _decide(vpn, people["lead:Identity & Access"], "approve", "Two days.")
    _done_by_hand(vpn, network)
    # Approved, waiting for Collaboration Apps to add the licence by hand.
    marketer = _staff("Marketing")[1]
    licence = ask(marketer, "support-agent", "Answer the questions about the winter campaign.")
    _decide(licence, marketer.manager, "approve", "For the campaign.")
    _decide(licence, people["head:Customer Care"], "approve", "Welcome to the queue.")
    # Refused by the manager.
    carer = _staff("Customer Care")[1]
    refunds = ask(carer, "large-refunds", "Customers wait for a second signature.")
    _decide(refunds, carer.manager, "reject", "Refunds above £500 stay with the team leads.")
    # Asked for the wrong folder and took it back.
    lawyer = _staff("Legal")[3]
    wrong = ask(lawyer, "legal-contracts")
    services.access_request_cancel(
        actor=lawyer, request=wrong, reason="Wrong folder: I need the templates, not contracts."
    )
    return made


def _review(admin, people) -> ReviewCampaign:
    """The quarterly review of the ERP roles, under way: Robin has decided a few."""
    erp = ConfigurationItem.objects.get(name=ERP)
    campaign = reviews.campaign_create(
        actor=admin,
        name="ERP roles: Q4 review",
        deadline=timezone.now() + timedelta(days=10),
        stages=[ReviewerSource.OWNER],
        scope_applications=[erp],
        no_answer=NoAnswer.ESCALATE,
    )
    reviews.campaign_start(actor=admin, campaign=campaign)
    robin = people["reviewer"]
    items = ReviewItem.objects.filter(campaign=campaign, reviewer=robin).select_related(
        "grant__holder", "grant__entitlement"
    )
    decisions = {
        ("approver", "Approve payments"): ("keep", "Heads Finance; releases the runs."),
        ("requester", "Create vendors"): ("keep", "Accounts payable."),
    }
    doubled = _staff("Finance")[3]
    for item in items:
        key = (item.grant.holder.username, item.grant.entitlement.name)
        if key in decisions:
            decision, comment = decisions[key]
        elif key == (doubled.username, "Approve payments"):
            decision, comment = "revoke", "Also creates vendors; Jordan's team releases payments."
        else:
            continue
        reviews.review_decide(actor=robin, item=item, decision=decision, comment=comment)
    return campaign


def _leavers(admin, entitlements) -> tuple[User, User]:
    """Someone leaves today and waits to be processed; someone who left last week was."""
    today = timezone.localdate()
    leaving = _staff("Customer Care")[-1]
    for name in ("Refunds above £500", "Legal contracts folder"):
        services.grant_create(
            actor=admin,
            holder=leaving,
            entitlement=entitlements[name],
            source=GrantSource.MIGRATION,
            reason="From the old systems",
            already_provisioned=True,
        )
    left = _staff("Sales")[-1]
    services.grant_create(
        actor=admin,
        holder=left,
        entitlement=entitlements["Support agent"],
        source=GrantSource.RULE,
        reason="Sales answers order questions",
        already_provisioned=True,
    )
    # HR's import says when they go; access ends at the end of their last day.
    for person, last_day in [(leaving, today), (left, today - timedelta(days=6))]:
        before = {
            "leaves_on": person.leaves_on,
            "is_active": person.is_active,
            "department": person.department,
        }
        person = user_update(actor=admin, user=person, leaves_on=last_day)
        services.person_changed(actor=admin, person=person, before=before, source="HR import")
    return leaving, left


def load(*, progress) -> None:
    if Entitlement.objects.exists():
        progress(f"{Entitlement.objects.count()} entitlements already there")
        return
    admin = User.objects.filter(username="cio", is_active=True).first()
    found = ConfigurationItem.objects.filter(name__in=APPLICATIONS).count()
    if admin is None or found < len(APPLICATIONS):
        progress("access skipped: run the core and CMDB demos first (people, teams, services)")
        return
    people = {**_people(progress), "cio": admin}
    people["requester"] = User.objects.get(username="requester")
    entitlements = _setup(admin, people)
    progress(
        f"{len(entitlements)} entitlements on {len(APPLICATIONS)} applications, "
        f"{len(PACKAGES)} access packages, {len(SOD_RULES)} segregation-of-duties rules"
    )
    _held(admin, entitlements, people)
    made = _requests(people)
    progress(f"{made} access requests in every state of their story")
    campaign = _review(admin, people)
    progress(f"review '{campaign.name}' under way; 'reviewer' has ERP roles to decide")
    leaving, _ = _leavers(admin, entitlements)
    progress(
        f"{leaving} ({leaving.username}) leaves today: an access manager "
        "(an administrator, e.g. 'admin') processes them at /access/people/"
    )
