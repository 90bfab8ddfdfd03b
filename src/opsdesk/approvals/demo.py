"""Demo approval schemes: what a catalog manager would set up first."""

from opsdesk.approvals.models import ApprovalScheme
from opsdesk.approvals.services import scheme_create
from opsdesk.core.models import User
from opsdesk.core.roles import Role, is_admin


def load(*, progress) -> None:
    actor = next((u for u in User.objects.filter(is_active=True) if is_admin(u)), None)
    if actor is None:
        progress("approval schemes skipped: no administrator to configure them")
        return
    finance = list(User.objects.filter(groups__name=str(Role.ADMINISTRATOR), is_active=True))[:1]
    schemes = [
        (
            "Hardware",
            "Laptops, monitors and phones: the line manager, then finance above 1000.",
            [
                {
                    "name": "Line manager",
                    "rule": "any",
                    "from_manager": True,
                    "fallback_approver": actor,
                    "timeout_hours": 72,
                    "timeout_action": "escalate",
                    "reminder_hours": 24,
                },
                {
                    "name": "Finance over 1000",
                    "rule": "any",
                    "condition": "cost > 1000",
                    "from_users": finance,
                    "reminder_hours": 24,
                },
            ],
        ),
        (
            "Privileged access",
            "Administrator rights: the manager and the service owner, never automatic.",
            [
                {
                    "name": "Manager and service owner",
                    "rule": "all",
                    "from_manager": True,
                    "from_service_owner": True,
                    "fallback_approver": actor,
                    "timeout_hours": 48,
                    "timeout_action": "reject",
                    "reminder_hours": 8,
                },
            ],
        ),
    ]
    added = 0
    for name, description, stages in schemes:
        if ApprovalScheme.objects.filter(name=name).exists():
            continue
        scheme_create(actor=actor, name=name, description=description, stages=stages)
        added += 1
    progress(f"{added} approval schemes added")
