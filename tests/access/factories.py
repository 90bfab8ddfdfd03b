"""Access rows for tests: an application, entitlements on it, packages and schemes."""

from opsdesk.access.models import AccessPackage, Entitlement, SodRule
from opsdesk.approvals.models import ApprovalScheme, ApprovalStage
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from tests.cmdb.factories import CIFactory, ci_class


def application(name: str = "Payroll"):
    return CIFactory(name=name, ci_class=ci_class("business_service"))


def entitlement(name: str, *, app=None, owner=None, **values) -> Entitlement:
    app = app or application(f"{name} app")
    owner = owner or UserFactory(username=f"owner-{name.lower().replace(' ', '-')}")
    values.setdefault("owner_team", TeamFactory(name=f"{name} owners"))
    return Entitlement.objects.create(name=name, application=app, owner=owner, **values)


def package(name: str, *entitlements: Entitlement, scheme=None, **values) -> AccessPackage:
    slug = name.lower().replace(" ", "-")
    pkg = AccessPackage.objects.create(name=name, slug=slug, approval_scheme=scheme, **values)
    pkg.entitlements.set(entitlements)
    return pkg


def manager_then_owners(name: str = "Manager, then owner") -> ApprovalScheme:
    """Two stages: the requester's manager, then every entitlement owner."""
    scheme = ApprovalScheme.objects.create(name=name)
    ApprovalStage.objects.create(scheme=scheme, position=0, name="Manager", from_manager=True)
    ApprovalStage.objects.create(
        scheme=scheme, position=1, name="Entitlement owner", from_answer="entitlement_owners"
    )
    return scheme


def sod_rule(name: str, left, right, *, action="block", **values) -> SodRule:
    rule = SodRule.objects.create(name=name, action=action, **values)
    rule.left.set(left)
    rule.right.set(right)
    return rule
