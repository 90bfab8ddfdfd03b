"""Directories, read back: what each target holds that opsdesk did not grant, what opsdesk
granted that it lacks, and the groups it has that could become entitlements."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opsdesk.access import selectors, services
from opsdesk.access.connectors import ConnectorError
from opsdesk.access.directory import GRANT_NOT_IN_DIRECTORY, directory_groups, drift
from opsdesk.access.models import Entitlement, Grant, ProvisioningTarget
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.models import User
from opsdesk.core.views.generic import role_required

manager_required = role_required(selectors.may_manage_access)


@manager_required
def targets(request):
    return render(
        request,
        "access/desk/targets.html",
        {"targets": ProvisioningTarget.objects.all()},
    )


@manager_required
def target(request, pk):
    """Reconciliation on demand: the directory is read now."""
    t = get_object_or_404(ProvisioningTarget, pk=pk)
    error = ""
    differences = []
    groups = []
    try:
        found = drift(target=t, entitlements=t.entitlements.filter(active=True))
        # A grant still being written is not drift: it is on its way.
        differences = [
            d
            for d in found
            if not (d.kind == GRANT_NOT_IN_DIRECTORY and d.grant.provisioning != "provisioned")
        ]
        if request.GET.get("import"):
            known = set(t.entitlements.values_list("external_id", flat=True))
            groups = [g for g in directory_groups(target=t) if g.id not in known]
    except ConnectorError as exc:
        error = str(exc)
    return render(
        request,
        "access/desk/target.html",
        {
            "t": t,
            "error": error,
            "differences": differences,
            "groups": groups,
            "applications": ConfigurationItem.objects.filter(
                ci_class__key__in=("application", "business_service", "technical_service")
            ).order_by("name")[:500],
        },
    )


@manager_required
@require_POST
def target_fix(request, pk):
    t = get_object_or_404(ProvisioningTarget, pk=pk)
    action = request.POST.get("action")
    try:
        if action == "reprovision":
            grant = get_object_or_404(Grant, pk=request.POST.get("grant"), entitlement__target=t)
            services.reconcile_reprovision(actor=request.user, grant=grant)
            messages.success(request, f"Writing {grant.entitlement.name} for {grant.holder} again.")
        elif action in ("record", "revoke"):
            entitlement = get_object_or_404(
                Entitlement, pk=request.POST.get("entitlement"), target=t
            )
            person = get_object_or_404(User, username=request.POST.get("username"))
            if action == "record":
                services.reconcile_record(
                    actor=request.user, entitlement=entitlement, person=person
                )
                messages.success(request, f"Recorded: {person} holds {entitlement.name}.")
            else:
                services.reconcile_revoke(
                    actor=request.user, entitlement=entitlement, person=person
                )
                messages.success(request, f"Removing {person} from {entitlement.name}.")
        elif action == "import":
            wanted = set(request.POST.getlist("group"))
            application = get_object_or_404(ConfigurationItem, pk=request.POST.get("application"))
            chosen = [g for g in directory_groups(target=t) if g.id in wanted]
            if not chosen:
                messages.error(request, "Tick the groups to import.")
                return redirect(f"{request.path.rsplit('fix/', 1)[0]}?import=1")
            made = services.entitlements_import(
                actor=request.user,
                target=t,
                application=application,
                owner=request.user,
                groups=chosen,
            )
            held = sum(e.grants.count() for e in made)
            messages.success(
                request, f"Imported {len(made)} entitlements with {held} members as grants."
            )
    except ConnectorError as exc:
        messages.error(request, f"The directory could not be read: {exc}")
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect("access:target", pk=t.pk)
