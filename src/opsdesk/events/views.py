"""The operations console: live alerts, alert pages, rules, windows, integrations, heartbeats.

Agents watch alerts, plan maintenance windows and test payloads against the rules;
administrators change integrations, rules and heartbeats (the same split as the API).
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.models import Team
from opsdesk.core.roles import is_admin
from opsdesk.core.views.generic import (
    PAGE_SIZE,
    admin_required,
    agent_required,
    edit_call,
    list_page,
    saved_on_post,
)
from opsdesk.events import heartbeats, rule_phrases, rules, selectors, services
from opsdesk.events.forms import (
    DryRunForm,
    HeartbeatFilterForm,
    HeartbeatForm,
    IntegrationForm,
    RuleForm,
    WindowForm,
)
from opsdesk.events.models import AlertStatus, Format, HeartbeatStatus, Severity
from opsdesk.events.planning import window_active

FILTERS = ("status", "severity", "team", "service")


def _filtered_alerts(request):
    qs = selectors.alert_list(viewer=request.user)
    status = request.GET.get("status", "active")
    if status == "active":
        qs = qs.exclude(status=AlertStatus.RESOLVED)
    elif status in AlertStatus.values:
        qs = qs.filter(status=status)
    if (severity := request.GET.get("severity")) in Severity.values:
        qs = qs.filter(severity=severity)
    if (team := request.GET.get("team", "")).isdigit():
        qs = qs.filter(team_id=int(team))
    if service := request.GET.get("service", "").strip():
        qs = qs.filter(service__name__icontains=service)
    return qs


@agent_required
def console(request):
    page_obj = Paginator(_filtered_alerts(request), 50).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "alerts": page_obj.object_list,
        "statuses": AlertStatus.choices,
        "severities": Severity.choices,
        "teams": Team.objects.order_by("name"),
        "current": {name: request.GET.get(name, "") for name in FILTERS},
        "query": request.GET.urlencode(),
    }
    if getattr(request, "htmx", None):
        return render(request, "events/_alert_rows.html", context)
    return render(request, "events/console.html", context)


@agent_required
def alert_detail(request, pk):
    alert = get_object_or_404(selectors.alert_list(viewer=request.user), pk=pk)
    link = alert.incident_links.select_related("incident").first()
    return render(
        request,
        "events/alert_detail.html",
        {
            "alert": alert,
            "incident": link.incident if link else None,
            "link": link,
            "events": alert.events.order_by("-id")[:100],
            "history": selectors.alert_history(alert=alert),
        },
    )


@agent_required
@require_POST
def alert_act(request, pk):
    alert = get_object_or_404(selectors.alert_list(viewer=request.user), pk=pk)
    try:
        services.alert_act(actor=request.user, alert=alert, action=request.POST.get("action", ""))
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("events:alert-detail", args=[alert.pk]))


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _form_page(request, form, *, title, cancel_url, submit_label="Save", **extra):
    context = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "submit_label": submit_label,
        **extra,
    }
    return render(request, "events/form.html", context)


def _confirm_page(request, *, title, message, button, cancel_url, danger=False):
    context = {
        "title": title,
        "message": message,
        "button": button,
        "cancel_url": cancel_url,
        "danger": danger,
    }
    return render(request, "events/confirm.html", context)


# --- integrations ----------------------------------------------------------------------------
@agent_required
def integration_list(request):
    return list_page(
        request,
        queryset=selectors.integration_list(viewer=request.user),
        filter_form=None,
        template="events/integration_list.html",
        rows_template="events/_integration_rows.html",
        extra={"base": _base_url(request), "can_write": is_admin(request.user)},
    )


def _secret_page(request, integration, secret: str, *, rotated: bool):
    """The secret, on this one response only: it is stored hashed and never shown again."""
    context = {
        "integration": integration,
        "secret": secret,
        "rotated": rotated,
        "base": _base_url(request),
    }
    return render(request, "events/integration_secret.html", context)


@never_cache
@admin_required
def integration_create(request):
    form = IntegrationForm(request.POST or None)
    result = saved_on_post(
        request, form, lambda: services.integration_create(actor=request.user, **form.values())
    )
    if result is not None:
        integration, secret = result
        messages.success(request, f"Integration {integration} is added.")
        return _secret_page(request, integration, secret, rotated=False)
    return _form_page(
        request,
        form,
        title="New integration",
        cancel_url=reverse("events:integration-list"),
        submit_label="Create integration",
    )


@admin_required
def integration_edit(request, pk):
    integration = get_object_or_404(selectors.integration_list(viewer=request.user), pk=pk)
    form = IntegrationForm(request.POST or None, instance=integration)
    saved = saved_on_post(
        request,
        form,
        edit_call(request, form, services.integration_update, integration=integration),
    )
    if saved is not None:
        messages.success(request, f"Integration {saved} is saved.")
        return redirect("events:integration-list")
    return _form_page(
        request,
        form,
        title=f"Edit integration {integration}",
        cancel_url=reverse("events:integration-list"),
    )


@never_cache
@admin_required
def integration_rotate(request, pk):
    """GET asks to confirm; POST makes a new secret and shows it once."""
    integration = get_object_or_404(selectors.integration_list(viewer=request.user), pk=pk)
    if request.method == "POST":
        secret = services.integration_rotate_secret(actor=request.user, integration=integration)
        messages.success(request, f"{integration} has a new secret; the old one no longer works.")
        return _secret_page(request, integration, secret, rotated=True)
    return _confirm_page(
        request,
        title=f"Rotate the secret of {integration}?",
        message=(
            "A new secret is made and shown once. The old secret stops working at once: "
            "update the monitoring tool right after."
        ),
        button="Rotate secret",
        cancel_url=reverse("events:integration-list"),
        danger=True,
    )


# --- rules -----------------------------------------------------------------------------------
@agent_required
def rule_list(request):
    return list_page(
        request,
        queryset=selectors.rule_list(viewer=request.user),
        filter_form=None,
        template="events/rule_list.html",
        rows_template="events/_rule_rows.html",
        extra={"can_write": is_admin(request.user)},
    )


@agent_required
def rule_detail(request, pk):
    rule = get_object_or_404(selectors.rule_list(viewer=request.user), pk=pk)
    return render(
        request,
        "events/rule_detail.html",
        {
            "rule": rule,
            "description": rule_phrases.describe_rule(rule),
            "can_write": is_admin(request.user),
        },
    )


def _rule_help() -> dict:
    # The engine's own description of fields, operators and actions, so the help never drifts.
    reference = (rules.__doc__ or "").split("\n", 2)[-1].strip().replace("``", "")
    return {"help_title": "Conditions and actions", "help_text": reference}


def _rule_page(request, form, **context):
    return render(
        request,
        "events/rule_form.html",
        {"form": form, "rows": form.rows, "editor": form.editor, **_rule_help(), **context},
    )


@admin_required
def rule_create(request):
    form = RuleForm(request.POST or None, editor=request.GET.get("editor"))
    rule = saved_on_post(
        request, form, lambda: services.rule_create(actor=request.user, **form.values())
    )
    if rule is not None:
        messages.success(request, f"Rule {rule} is added.")
        return redirect("events:rule-detail", pk=rule.pk)
    return _rule_page(
        request,
        form,
        title="New rule",
        cancel_url=reverse("events:rule-list"),
        submit_label="Create rule",
        page_url=reverse("events:rule-create"),
    )


@admin_required
def rule_edit(request, pk):
    rule = get_object_or_404(selectors.rule_list(viewer=request.user), pk=pk)
    form = RuleForm(request.POST or None, instance=rule, editor=request.GET.get("editor"))
    saved = saved_on_post(request, form, edit_call(request, form, services.rule_update, rule=rule))
    if saved is not None:
        messages.success(request, f"Rule {saved} is saved.")
        return redirect("events:rule-detail", pk=saved.pk)
    return _rule_page(
        request,
        form,
        title=f"Edit rule {rule}",
        cancel_url=reverse("events:rule-detail", args=[rule.pk]),
        delete_url=reverse("events:rule-delete", args=[rule.pk]),
        page_url=reverse("events:rule-edit", args=[rule.pk]),
    )


@admin_required
def rule_delete(request, pk):
    rule = get_object_or_404(selectors.rule_list(viewer=request.user), pk=pk)
    if request.method == "POST":
        services.rule_delete(actor=request.user, rule=rule)
        messages.success(request, f"Rule {rule} is deleted.")
        return redirect("events:rule-list")
    return _confirm_page(
        request,
        title=f"Delete rule {rule}?",
        message="Events that arrive from now on are no longer matched against it.",
        button="Delete rule",
        cancel_url=reverse("events:rule-list"),
        danger=True,
    )


def _dry_run_rows(result: dict) -> list[dict]:
    """The dry run's answer with names for ids and what would happen spelled out."""
    events = result["events"]
    ci_ids = {e[k] for e in events for k in ("ci_id", "service_id") if e[k]}
    team_ids = {e["team_id"] for e in events if e["team_id"]}
    ci_names = dict(ConfigurationItem.objects.filter(pk__in=ci_ids).values_list("pk", "name"))
    team_names = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))

    def ci(pk):
        return ci_names.get(pk, f"#{pk} (not found)") if pk else ""

    rows = []
    for event in events:
        actions = event["actions"]
        incident = actions.get("create_incident")
        correlate = actions.get("correlate") if isinstance(actions.get("correlate"), dict) else None
        rows.append(
            {
                **event,
                "ci": ci(event["ci_id"]),
                "service": ci(event["service_id"]),
                "team": team_names.get(event["team_id"], "") if event["team_id"] else "",
                "labels_added": actions.get("add_labels") or {},
                "dropped": bool(actions.get("drop")),
                "creates_incident": bool(incident)
                and not actions.get("drop")
                and not event["suppressed_by"],
                "correlate": correlate,
                "actions_json": json.dumps(actions, indent=2, sort_keys=True),
            }
        )
    return rows


@agent_required
def rule_test(request):
    """Test this payload: which rules match each event and what would happen; writes nothing."""
    form = DryRunForm(request.POST or None)
    form.fields["integration"].queryset = selectors.integration_list(viewer=request.user).exclude(
        format=Format.HEARTBEAT
    )
    rows = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = services.rules_dry_run(
            integration=data["integration"], payload=data["payload"], format=data["format"] or None
        )
        if result["problems"]:
            # Ingest would refuse the whole body, so the rules would never see it.
            form.add_error(
                "payload", ["Ingest would refuse this payload:", *result["problems"][:20]]
            )
        else:
            rows = _dry_run_rows(result)
    return render(request, "events/rule_test.html", {"form": form, "rows": rows})


# --- maintenance windows ---------------------------------------------------------------------
@agent_required
def window_list(request):
    page_obj = Paginator(selectors.window_list(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    windows = list(page_obj.object_list)
    for window in windows:
        window.active_now = window_active(window, now)
        window.upcoming = window.starts_at > now
    return render(
        request,
        "events/window_list.html",
        {"page_obj": page_obj, "windows": windows, "can_write": True},
    )


@agent_required
def window_create(request):
    form = WindowForm(request.POST or None)
    window = saved_on_post(
        request, form, lambda: services.window_create(actor=request.user, **form.values())
    )
    if window is not None:
        messages.success(request, f"Maintenance window {window} is added.")
        return redirect("events:window-list")
    return _form_page(
        request,
        form,
        title="New maintenance window",
        cancel_url=reverse("events:window-list"),
        submit_label="Plan window",
    )


@agent_required
def window_edit(request, pk):
    window = get_object_or_404(selectors.window_list(viewer=request.user), pk=pk)
    form = WindowForm(request.POST or None, instance=window)
    saved = saved_on_post(
        request, form, edit_call(request, form, services.window_update, window=window)
    )
    if saved is not None:
        messages.success(request, f"Maintenance window {saved} is saved.")
        return redirect("events:window-list")
    return _form_page(
        request,
        form,
        title=f"Edit maintenance window {window}",
        cancel_url=reverse("events:window-list"),
        delete_url=reverse("events:window-delete", args=[window.pk]),
    )


@agent_required
def window_end(request, pk):
    window = get_object_or_404(selectors.window_list(viewer=request.user), pk=pk)
    if request.method == "POST":
        try:
            services.window_end(actor=request.user, window=window)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Maintenance window {window} is ended.")
        return redirect("events:window-list")
    return _confirm_page(
        request,
        title=f"End maintenance window {window} now?",
        message=(
            "Events are no longer held from now on"
            + (" and the window does not repeat any more." if window.weekly else ".")
        ),
        button="End now",
        cancel_url=reverse("events:window-list"),
    )


@agent_required
def window_delete(request, pk):
    window = get_object_or_404(selectors.window_list(viewer=request.user), pk=pk)
    if request.method == "POST":
        services.window_delete(actor=request.user, window=window)
        messages.success(request, f"Maintenance window {window} is deleted.")
        return redirect("events:window-list")
    return _confirm_page(
        request,
        title=f"Delete maintenance window {window}?",
        message="Events already held keep their state; new events are no longer held by it.",
        button="Delete window",
        cancel_url=reverse("events:window-list"),
        danger=True,
    )


# --- heartbeats ------------------------------------------------------------------------------
@agent_required
def heartbeat_list(request):
    return list_page(
        request,
        queryset=selectors.heartbeat_list(viewer=request.user),
        filter_form=HeartbeatFilterForm(request.GET or None),
        template="events/heartbeat_list.html",
        rows_template="events/_heartbeat_rows.html",
        extra={"base": _base_url(request), "can_write": is_admin(request.user)},
    )


@agent_required
def heartbeat_detail(request, pk):
    heartbeat = get_object_or_404(selectors.heartbeat_list(viewer=request.user), pk=pk)
    return render(
        request,
        "events/heartbeat_detail.html",
        {
            "heartbeat": heartbeat,
            "check_ins": heartbeat.check_ins.all()[:100],
            "can_write": is_admin(request.user),
        },
    )


@admin_required
def heartbeat_create(request):
    form = HeartbeatForm(request.POST or None)
    heartbeat = saved_on_post(
        request, form, lambda: heartbeats.heartbeat_create(actor=request.user, **form.values())
    )
    if heartbeat is not None:
        messages.success(request, f"Heartbeat {heartbeat} is added.")
        return redirect("events:heartbeat-detail", pk=heartbeat.pk)
    return _form_page(
        request,
        form,
        title="New heartbeat",
        cancel_url=reverse("events:heartbeat-list"),
        submit_label="Create heartbeat",
    )


@admin_required
def heartbeat_edit(request, pk):
    heartbeat = get_object_or_404(selectors.heartbeat_list(viewer=request.user), pk=pk)
    form = HeartbeatForm(request.POST or None, instance=heartbeat)
    saved = saved_on_post(
        request, form, edit_call(request, form, heartbeats.heartbeat_update, heartbeat=heartbeat)
    )
    if saved is not None:
        messages.success(request, f"Heartbeat {saved} is saved.")
        return redirect("events:heartbeat-detail", pk=saved.pk)
    return _form_page(
        request,
        form,
        title=f"Edit heartbeat {heartbeat}",
        cancel_url=reverse("events:heartbeat-detail", args=[heartbeat.pk]),
    )


@admin_required
@require_POST
def heartbeat_pause(request, pk):
    """Pause (a missed check-in raises nothing) or resume; a resumed job counts from now."""
    heartbeat = get_object_or_404(selectors.heartbeat_list(viewer=request.user), pk=pk)
    pause = request.POST.get("action") == "pause"
    version = request.POST.get("version", "")
    try:
        heartbeats.heartbeat_update(
            actor=request.user,
            heartbeat=heartbeat,
            expected_version=int(version) if version.isdigit() else None,
            status=HeartbeatStatus.PAUSED if pause else HeartbeatStatus.NEW,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Heartbeat {heartbeat} is {'paused' if pause else 'resumed'}.")
    return redirect("events:heartbeat-detail", pk=heartbeat.pk)
