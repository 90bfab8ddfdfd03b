"""Forms of the operations console: integrations, rules, windows, heartbeats, the dry run.

They shape input only; the services validate the records and write them. Edit forms carry
the record's ``version`` so a stale edit is refused instead of overwriting someone's change.
"""

import json

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.cmdb.models import CIStatus, ConfigurationItem
from opsdesk.core.forms import VersionedForm
from opsdesk.core.models import Team
from opsdesk.core.models.users import TIME_ZONE_CHOICES
from opsdesk.events import rules
from opsdesk.events.ingest import MAX_INGEST_BYTES
from opsdesk.events.models import (
    Format,
    Heartbeat,
    HeartbeatStatus,
    Integration,
    MaintenanceWindow,
    Rule,
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


class RuleForm(VersionedForm):
    conditions = JSONTextField(empty=[], help_text=CONDITIONS_HELP)
    actions = JSONTextField(empty={}, help_text=ACTIONS_HELP)

    class Meta:
        model = Rule
        fields = ["name", "order", "active", "stop", "description", "conditions", "actions"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "order": "Rules run from the lowest number up; change it to move the rule.",
        }


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
