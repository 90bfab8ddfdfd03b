"""Event rules: read by agents, changed by administrators, tested against a payload by both."""

import json

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.models import Team
from opsdesk.core.roles import is_admin
from opsdesk.core.views.generic import (
    admin_required,
    agent_required,
    edit_call,
    list_page,
    saved_on_post,
)
from opsdesk.events import rule_phrases, rules, selectors, services
from opsdesk.events.forms import (
    DryRunForm,
    RuleForm,
)
from opsdesk.events.models import Format
from opsdesk.events.views.pages import confirm_page


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
    return confirm_page(
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
