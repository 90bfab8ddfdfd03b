"""Forms of the operations console: integrations, rules, windows, heartbeats, the dry run.

They shape input only; the services validate the records and write them. Edit forms carry
the record's ``version`` so a stale edit is refused instead of overwriting someone's change.
"""

import json
import re

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.cmdb.models import CIStatus, ConfigurationItem
from opsdesk.core.forms import VersionedForm
from opsdesk.core.models import Team
from opsdesk.core.models.users import TIME_ZONE_CHOICES
from opsdesk.core.pickers import TeamField
from opsdesk.events import rule_phrases, rules
from opsdesk.events.ingest import MAX_INGEST_BYTES
from opsdesk.events.models import (
    Format,
    Heartbeat,
    HeartbeatStatus,
    Integration,
    MaintenanceWindow,
    Rule,
    Severity,
)

# CIs worth offering in a picker: the ones running now, not those planned or retired.
LIVE_CI_STATUSES = (CIStatus.IN_USE, CIStatus.MAINTENANCE)
DRY_RUN_FORMATS = [
    ("", "As the integration sends"),
    *[(f.value, f.label) for f in Format if f != Format.HEARTBEAT],
]


def live_cis(*, keep=()) -> QuerySet[ConfigurationItem]:
    """CIs in use or under maintenance, plus ``keep`` (already chosen) so edits lose nothing."""
    return (
        ConfigurationItem.objects.filter(Q(status__in=LIVE_CI_STATUSES) | Q(pk__in=list(keep)))
        .select_related("ci_class")
        .order_by("name", "pk")
    )


class JSONTextField(forms.CharField):
    """JSON typed into a textarea; a syntax error is a field error that says where it is."""

    widget = forms.Textarea

    def __init__(self, *, empty, **kwargs):
        self.empty = empty
        kwargs.setdefault("required", False)
        super().__init__(strip=True, **kwargs)
        self.widget.attrs.update({"rows": 8, "spellcheck": "false", "class": "code"})

    def prepare_value(self, value):
        # Stored values (lists, objects) are shown pretty-printed; typed text as it was typed.
        if isinstance(value, str):
            return value
        return json.dumps(self.empty if value is None else value, indent=2, ensure_ascii=False)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return type(self.empty)()
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                "This is not valid JSON: %(reason)s (line %(line)s, column %(column)s).",
                code="invalid_json",
                params={"reason": error.msg, "line": error.lineno, "column": error.colno},
            ) from None


class LocalDateTimeField(forms.DateTimeField):
    """A date and time picked in the user's own time zone (the browser's datetime-local)."""

    widget = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


# --- integrations ----------------------------------------------------------------------------
class IntegrationForm(VersionedForm):
    identity_labels = forms.CharField(
        required=False,
        max_length=1000,
        help_text=(
            "Comma-separated label names, e.g. “alertname, instance”: their values identify "
            "an alert when the sender gives no fingerprint. Empty: all labels."
        ),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="No team",
        help_text="Alerts go to this team unless a rule routes them elsewhere.",
    )

    class Meta:
        model = Integration
        fields = [
            "name",
            "format",
            "description",
            "active",
            "team",
            "rate_limit_per_minute",
            "identity_labels",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"active": "Inactive integrations refuse events."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.format == Format.HEARTBEAT and self.instance.pk:
            # The heartbeat integration is opsdesk's own; its format is not a choice.
            self.fields["format"].disabled = True
        else:
            self.fields["format"].choices = [
                c for c in self.fields["format"].choices if c[0] != Format.HEARTBEAT
            ]
        if self.instance.pk:
            self.initial["identity_labels"] = ", ".join(self.instance.identity_labels or [])

    def clean_identity_labels(self) -> list[str]:
        names = []
        for part in self.cleaned_data["identity_labels"].split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
        return names


# --- rules -----------------------------------------------------------------------------------
CONDITIONS_HELP = (
    'A list of conditions that must all match, e.g. [{"field": "labels.env", "op": "equals", '
    '"value": "prod"}]. Fields: '
    + ", ".join(sorted(rules.FIELDS))
    + ", labels.<name>. Operators: "
    + ", ".join(sorted(rules.OPS))
    + '; "not": true negates. Empty: every event matches.'
)
ACTIONS_HELP = (
    'An object of actions, e.g. {"set_severity": "critical", "create_incident": true}. '
    "Actions: " + ", ".join(rules.ACTION_KEYS) + "."
)


EDITOR_CHOICES = [("form", "Form"), ("json", "Edit as JSON (for experts)")]
LABEL_FIELD = "label"
CONDITION_FIELD_CHOICES = [
    ("", "—"),
    *rule_phrases.FIELD_LABELS.items(),
    (LABEL_FIELD, "Label (name below)"),
]
SEVERITY_BY_TEXT = {
    **{value: value for value in Severity.values},
    **{label.lower(): value for value, label in Severity.choices},
}


def _times(text: str) -> list[str] | None:
    parts = [p.strip() for p in text.replace("–", "-").split("-")]
    if len(parts) != 2 or None in (rules._parse_hhmm(parts[0]), rules._parse_hhmm(parts[1])):
        return None
    return parts


class ConditionRowForm(forms.Form):
    """One condition as a row: field, operator, value; a row left without a field is skipped."""

    field = forms.ChoiceField(label="Field", choices=CONDITION_FIELD_CHOICES, required=False)
    label_name = forms.CharField(label="Label name", required=False, max_length=100)
    op = forms.ChoiceField(
        label="Operator", choices=list(rule_phrases.OP_LABELS.items()), initial="equals"
    )
    value = forms.CharField(
        label="Value",
        required=False,
        max_length=1000,
    )
    # The rows' help is one paragraph under the table, not repeated in every cell.
    negate = forms.BooleanField(label="Not", required=False)

    @staticmethod
    def initial_for(cond: dict) -> dict:
        name, op, value = cond.get("field", ""), cond.get("op", "equals"), cond.get("value")
        label_name = ""
        if isinstance(name, str) and name.startswith("labels."):
            name, label_name = LABEL_FIELD, name[7:]
        if name == "severity":
            # Shown as people read it ("Critical"); the row reads labels back to values.
            labels = dict(Severity.choices)
            if isinstance(value, list):
                value = [labels.get(str(v), v) for v in value]
            else:
                value = labels.get(str(value), value)
        if op in ("in", "between") and isinstance(value, list):
            text = (", " if op == "in" else "-").join(str(v) for v in value)
        else:
            text = "" if value is None else str(value)
        return {
            "field": name,
            "label_name": label_name,
            "op": op,
            "value": text,
            "negate": bool(cond.get("not")),
        }

    def has_changed(self):
        # A blank row is skipped, and a filled one always checked, whatever its initial was.
        return any(
            (self.data.get(self.add_prefix(name)) or "").strip()
            for name in ("field", "label_name", "value")
        )

    def clean(self):
        data = super().clean()
        name, op = data.get("field"), data.get("op")
        text = (data.get("value") or "").strip()
        if not name:
            if text:
                self.add_error("field", "Choose what this condition looks at.")
            return data
        if name == LABEL_FIELD:
            label = (data.get("label_name") or "").strip()
            if not label:
                self.add_error("label_name", "Name the label this condition looks at.")
                return data
            name = f"labels.{label}"
        if op is None:
            return data
        if (name == "time_of_day") != (op == "between"):
            self.add_error(
                "op", "“is between” is for the time of day, and the time of day needs it."
            )
            return data
        condition = {"field": name, "op": op}
        if op == "exists":
            pass
        elif not text:
            self.add_error("value", "Type the value to compare with.")
            return data
        elif op == "in":
            values = [v.strip() for v in text.split(",") if v.strip()]
            condition["value"] = values
        elif op == "between":
            condition["value"] = _times(text)
            if condition["value"] is None:
                self.add_error("value", "Give two times like 08:00-18:00.")
                return data
        elif op == "regex":
            try:
                re.compile(text)
            except re.error as error:
                self.add_error("value", f"This is not a valid regular expression ({error}).")
                return data
            condition["value"] = text
        else:
            condition["value"] = text
        if name == "severity" and op in ("equals", "in"):
            typed = condition["value"] if op == "in" else [condition["value"]]
            unknown = [v for v in typed if v.lower() not in SEVERITY_BY_TEXT]
            if unknown:
                self.add_error(
                    "value",
                    f"Not a severity: {', '.join(unknown)}; use "
                    + ", ".join(Severity.labels)
                    + ".",
                )
                return data
            known = [SEVERITY_BY_TEXT[v.lower()] for v in typed]
            condition["value"] = known if op == "in" else known[0]
        if data.get("negate"):
            condition["not"] = True
        data["condition"] = condition
        return data


ConditionRowFormSet = forms.formset_factory(ConditionRowForm, extra=3)


def _pairs(text: str) -> tuple[dict, list[str]]:
    labels, bad = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            bad.append(line)
        else:
            labels[name.strip()] = value.strip()
    return labels, bad


class RuleForm(VersionedForm):
    """A rule in the editor (condition rows and labelled actions) or as JSON for experts.

    Both modes end in the same ``conditions`` list and ``actions`` object, which the service
    checks and stores; ``editor`` says which one the page sent.
    """

    editor = forms.ChoiceField(choices=EDITOR_CHOICES, required=False, widget=forms.HiddenInput)
    conditions = JSONTextField(empty=[], help_text=CONDITIONS_HELP)
    actions = JSONTextField(empty={}, help_text=ACTIONS_HELP)
    # --- actions as fields (the editor) ---
    drop = forms.BooleanField(
        label="Drop the event", required=False, help_text="Nothing is kept: no alert, no incident."
    )
    suppress = forms.BooleanField(
        label="Suppress the alert",
        required=False,
        help_text="The alert is kept but opens no incident and notifies no one.",
    )
    set_severity = forms.ChoiceField(
        label="Set severity",
        required=False,
        choices=[("", "Keep the event's severity"), *Severity.choices],
    )
    add_labels = forms.CharField(
        label="Add labels",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One name=value a line, e.g. “team=dba”.",
    )
    map_ci_from_label = forms.CharField(
        label="Find the CI from label",
        required=False,
        max_length=100,
        help_text="The label whose value names the CI, e.g. “instance”.",
    )
    map_ci = forms.ModelChoiceField(
        label="Set the CI", queryset=ConfigurationItem.objects.none(), required=False
    )
    map_service = forms.ModelChoiceField(
        label="Set the service", queryset=ConfigurationItem.objects.none(), required=False
    )
    route_to_team = TeamField(
        label="Assign to team", required=False, help_text="Alerts go to this team."
    )
    create_incident = forms.BooleanField(label="Open an incident", required=False)
    # Categories belong to incidents, a layer above events: the editor keeps a category set in
    # the JSON mode as it is, without offering a choice of its own.
    incident_category = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    incident_group = TeamField(
        label="Incident assignment group",
        required=False,
        help_text="The team the incident is assigned to.",
    )
    correlate_by = forms.ChoiceField(
        label="Group alerts",
        required=False,
        choices=[("", "Do not group")]
        + [(k, f"By {v}") for k, v in rule_phrases.CORRELATE_LABELS.items()],
    )
    correlate_window = forms.IntegerField(
        label="Group within (minutes)",
        required=False,
        min_value=1,
        help_text="Empty: 60 minutes.",
    )
    auto_resolve = forms.ChoiceField(
        label="Resolve on its own",
        required=False,
        choices=[("", "As by default"), *rule_phrases.AUTO_RESOLVE_LABELS.items()],
    )
    notify = forms.CharField(
        label="Notify",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One recipient a line: " + rules.NOTIFY_FORMS + ".",
    )

    ACTION_FIELDS = (
        "drop",
        "suppress",
        "set_severity",
        "add_labels",
        "map_ci_from_label",
        "map_ci",
        "map_service",
        "route_to_team",
        "create_incident",
        "incident_category",
        "incident_group",
        "correlate_by",
        "correlate_window",
        "auto_resolve",
        "notify",
    )

    class Meta:
        model = Rule
        fields = ["name", "order", "active", "stop", "description", "conditions", "actions"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "order": "Rules run from the lowest number up; change it to move the rule.",
        }

    def __init__(self, *args, editor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # A script posting only the JSON fields is using the JSON mode.
            posted = self.data.get("editor")
            json_posted = "conditions" in self.data or "actions" in self.data
            editor = posted if posted in ("form", "json") else ("json" if json_posted else "form")
        self.editor = editor if editor in ("form", "json") else "form"
        self.initial["editor"] = self.editor
        stored_actions = self.instance.actions if isinstance(self.instance.actions, dict) else {}
        stored_conditions = self.instance.conditions if self.instance.pk else []
        keep = [v for v in (stored_actions.get("map_ci"), stored_actions.get("map_service")) if v]
        incident = stored_actions.get("create_incident")
        incident = incident if isinstance(incident, dict) else {}
        self.fields["map_ci"].queryset = live_cis(keep=keep)
        self.fields["map_service"].queryset = live_cis(keep=keep)
        if incident.get("category") and "create_incident" in self.fields:
            kept = "The incident category set in the JSON mode is kept while this is ticked."
            # Both: VersionedForm has already bound the fields, and a bound field keeps its text.
            self.fields["create_incident"].help_text = self["create_incident"].help_text = kept
        if self.instance.pk:
            self.initial.update(self._action_initial(stored_actions))
        rows = [ConditionRowForm.initial_for(c) for c in stored_conditions if isinstance(c, dict)]
        self.rows = ConditionRowFormSet(
            self.data if self.is_bound and self.editor == "form" else None,
            initial=rows,
            prefix="condition",
        )
        if self.editor == "form":
            del self.fields["conditions"], self.fields["actions"]
        else:
            for name in self.ACTION_FIELDS:
                del self.fields[name]

    @staticmethod
    def _action_initial(actions: dict) -> dict:
        incident = actions.get("create_incident")
        correlate = actions.get("correlate") if isinstance(actions.get("correlate"), dict) else {}
        return {
            "drop": actions.get("drop") is True,
            "suppress": actions.get("suppress") is True,
            "set_severity": actions.get("set_severity", ""),
            "add_labels": "\n".join(
                f"{k}={v}" for k, v in (actions.get("add_labels") or {}).items()
            ),
            "map_ci_from_label": actions.get("map_ci_from_label", ""),
            "map_ci": actions.get("map_ci"),
            "map_service": actions.get("map_service"),
            "route_to_team": actions.get("route_to_team"),
            "create_incident": incident is True or isinstance(incident, dict),
            "incident_category": (incident or {}).get("category")
            if isinstance(incident, dict)
            else None,
            "incident_group": incident.get("assignment_group")
            if isinstance(incident, dict)
            else None,
            "correlate_by": correlate.get("by", ""),
            "correlate_window": correlate.get("window_minutes"),
            "auto_resolve": actions.get("auto_resolve", ""),
            "notify": "\n".join(str(e) for e in actions.get("notify") or []),
        }

    def clean(self):
        data = super().clean()
        if self.editor == "json":
            return data
        if not self.rows.is_valid():
            self.add_error(None, "A condition needs correcting; see its row below.")
        else:
            data["conditions"] = [
                row.cleaned_data["condition"]
                for row in self.rows
                if row.cleaned_data.get("condition")
            ]
        data["actions"] = self._actions_from_fields(data)
        return data

    def _actions_from_fields(self, data) -> dict:
        actions = {}
        for key in ("drop", "suppress"):
            if data.get(key):
                actions[key] = True
        for key in ("set_severity", "auto_resolve"):
            if data.get(key):
                actions[key] = data[key]
        labels, bad = _pairs(data.get("add_labels") or "")
        if bad:
            self.add_error("add_labels", f"Write name=value, not: {', '.join(bad)}.")
        elif labels:
            actions["add_labels"] = labels
        if label := (data.get("map_ci_from_label") or "").strip():
            actions["map_ci_from_label"] = label
        for key in ("map_ci", "map_service", "route_to_team"):
            if data.get(key) is not None:
                actions[key] = data[key].pk
        group = data.get("incident_group")
        category = data.get("incident_category") if data.get("create_incident") else None
        if group and not data.get("create_incident"):
            self.add_error("create_incident", "Tick this to open incidents for a group.")
        if category or group:
            actions["create_incident"] = {
                **({"category": category} if category else {}),
                **({"assignment_group": group.pk} if group else {}),
            }
        elif data.get("create_incident"):
            actions["create_incident"] = True
        if data.get("correlate_by"):
            actions["correlate"] = {"by": data["correlate_by"]}
            if data.get("correlate_window") is not None:
                actions["correlate"]["window_minutes"] = data["correlate_window"]
        elif data.get("correlate_window") is not None:
            self.add_error("correlate_by", "Choose what to group alerts by.")
        recipients = [
            line.strip() for line in (data.get("notify") or "").splitlines() if line.strip()
        ]
        if recipients:
            if problems := rules.validate_notify(recipients):
                self.add_error("notify", problems)
            actions["notify"] = recipients
        if not actions and not self.errors:
            self.add_error(None, "Choose at least one action.")
        return actions

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in self.Meta.fields}

    # The page lays the form out in parts: the rule, then its conditions, then its actions.
    def rule_fields(self):
        return [self[n] for n in ("name", "order", "active", "stop", "description")]

    def action_fields(self):
        return [self[n] for n in self.ACTION_FIELDS if n in self.fields]

    def json_fields(self):
        return [self[n] for n in ("conditions", "actions") if n in self.fields]


# --- maintenance windows ---------------------------------------------------------------------
class WindowForm(VersionedForm):
    starts_at = LocalDateTimeField(label="Starts")
    ends_at = LocalDateTimeField(label="Ends")
    cis = forms.ModelMultipleChoiceField(
        label="CIs",
        queryset=ConfigurationItem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Events about these CIs (or their services) are held. CIs in use are offered.",
    )
    label_matchers = JSONTextField(
        empty={},
        label="Label matchers",
        help_text='Events whose labels all match are held, e.g. {"env": "staging"}.',
    )

    class Meta:
        model = MaintenanceWindow
        fields = ["name", "starts_at", "ends_at", "weekly", "cis", "label_matchers"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.instance.cis.values_list("pk", flat=True) if self.instance.pk else ()
        self.fields["cis"].queryset = live_cis(keep=chosen)
        self.fields["label_matchers"].widget.attrs["rows"] = 3
        zone = timezone.get_current_timezone_name()
        for name in ("starts_at", "ends_at"):
            # Both: VersionedForm has already bound the fields, and a bound field keeps its text.
            self.fields[name].help_text = self[name].help_text = f"In your time zone, {zone}."
        if not self.instance.pk:
            start = timezone.now().replace(second=0, microsecond=0)
            self.initial.setdefault("starts_at", start)
            self.initial.setdefault("ends_at", start + timezone.timedelta(hours=2))

    def values(self) -> dict:
        values = super().values()
        values["cis"] = list(values.get("cis") or [])
        return values


# --- heartbeats ------------------------------------------------------------------------------
class HeartbeatForm(VersionedForm):
    timezone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        initial="UTC",
        label="Time zone",
        help_text="The zone the cron expression is read in.",
    )
    ci = forms.ModelChoiceField(
        label="CI",
        queryset=ConfigurationItem.objects.none(),
        required=False,
        empty_label="No CI",
        help_text="Alerts of this job name this CI. CIs in use are offered.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="No team"
    )

    class Meta:
        model = Heartbeat
        fields = [
            "name",
            "interval_seconds",
            "grace_seconds",
            "cron",
            "timezone",
            "severity",
            "ci",
            "team",
            "description",
        ]
        labels = {
            "interval_seconds": "Interval (seconds)",
            "grace_seconds": "Grace (seconds)",
            "cron": "Cron schedule",
        }
        help_texts = {
            "interval_seconds": "How often the job runs, e.g. 86400 for daily.",
            "grace_seconds": "How late a check-in may be before the job counts as missed.",
            "cron": (
                "Five-field cron expression, e.g. “30 2 * * 1-5”; when set it replaces the "
                "interval. Empty: the interval is used."
            ),
            "severity": "Severity of the alert raised when the job fails or is missed.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci"].queryset = live_cis(keep=[self.instance.ci_id or 0])


class HeartbeatFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *HeartbeatStatus.choices]
    )

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        if q := self.cleaned_data["q"].strip():
            queryset = queryset.filter(Q(name__icontains=q) | Q(description__icontains=q))
        if status := self.cleaned_data["status"]:
            queryset = queryset.filter(status=status)
        return queryset


# --- dry run ---------------------------------------------------------------------------------
class DryRunForm(forms.Form):
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.exclude(format=Format.HEARTBEAT).order_by("name"),
        help_text="The rules see events as coming from this integration.",
    )
    format = forms.ChoiceField(
        choices=DRY_RUN_FORMATS,
        required=False,
        help_text="Read the payload in another format than the integration's own.",
    )
    payload = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
        max_length=MAX_INGEST_BYTES,
        strip=True,
        help_text="The JSON body the monitoring tool would send. Nothing is stored.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["integration"].widget.attrs.setdefault("autofocus", True)

    def clean_payload(self):
        text = self.cleaned_data["payload"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                "This is not valid JSON: %(reason)s (line %(line)s, column %(column)s).",
                code="invalid_json",
                params={"reason": error.msg, "line": error.lineno, "column": error.colno},
            ) from None
