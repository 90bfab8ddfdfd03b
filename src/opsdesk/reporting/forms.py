"""Forms of reporting; services write."""

from urllib.parse import parse_qsl, urlencode

from django import forms

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.models import Team
from opsdesk.core.models.tickets import TicketPriority
from opsdesk.core.pickers import PersonField
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.incidents.models import PostIncidentReview
from opsdesk.problems.models import Problem
from opsdesk.reporting import metrics

SERVICE_CLASSES = ["business_service", "technical_service"]


class ImprovementForm(forms.Form):
    """An improvement action: what, who, by when, and the number it should move (a metric,
    scoped by team, service, priority or record type)."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        label="What will change",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    owner = PersonField(scope="agents", label="Owner")
    due_on = forms.DateField(
        label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    metric_key = forms.ChoiceField(label="The number it should move")
    record_type = forms.ChoiceField(label="Record type", required=False)
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.order_by("name"), required=False
    )
    service = forms.ModelChoiceField(
        label="Service",
        queryset=ConfigurationItem.objects.filter(ci_class__key__in=SERVICE_CLASSES).order_by(
            "name"
        ),
        required=False,
    )
    priority = forms.TypedChoiceField(
        label="Priority",
        coerce=int,
        empty_value=None,
        choices=[("", "Any priority"), *TicketPriority.choices],
        required=False,
    )
    target = forms.FloatField(
        label="Target",
        required=False,
        help_text="Where the number should get to: hours for a duration, a percentage for a rate.",
    )
    problem = forms.CharField(
        label="Problem", required=False, help_text="The problem it comes from, e.g. PRB0001002."
    )
    review = forms.CharField(
        label="Post-incident review",
        required=False,
        help_text="The major incident whose review asked for it, e.g. INC0001042.",
    )
    dashboard = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric_key"].choices = [
            (m.key, m.label) for m in sorted(metrics.all_metrics(), key=lambda m: m.label)
        ]
        self.fields["record_type"].choices = [
            ("", "Every record type"),
            *((tt.key, tt.label) for tt in ticket_types()),
        ]

    @classmethod
    def initial_for(cls, action) -> dict:
        scope = dict(parse_qsl(action.metric_filters))
        metric = metrics.metric(action.metric_key) if action.metric_key else None
        target = action.target
        if target is not None and metric is not None:
            target = target / 3600 if metric.kind == "duration" else target * 100
        return {
            "title": action.title,
            "description": action.description,
            "owner": action.owner,
            "due_on": action.due_on,
            "metric_key": action.metric_key,
            "record_type": scope.get("record_type", ""),
            "team": scope.get("team"),
            "service": scope.get("service"),
            "priority": scope.get("priority"),
            "target": target,
            "problem": action.problem.number if action.problem_id else "",
            "review": action.review.incident.number if action.review_id else "",
            "dashboard": action.dashboard,
        }

    def clean_problem(self):
        number = (self.cleaned_data.get("problem") or "").strip().upper()
        if not number:
            return None
        found = Problem.objects.filter(number=number).first()
        if found is None:
            raise forms.ValidationError(f"No problem is numbered {number}.")
        return found

    def clean_review(self):
        number = (self.cleaned_data.get("review") or "").strip().upper()
        if not number:
            return None
        found = PostIncidentReview.objects.filter(incident__number=number).first()
        if found is None:
            raise forms.ValidationError(f"{number} has no post-incident review.")
        return found

    def values(self) -> dict:
        """What the service takes: the scope as URL parameters, the target in stored units
        (seconds for a duration, a share 0..1 for a rate)."""
        data = self.cleaned_data
        scope = {
            "record_type": data.get("record_type") or "",
            "team": data["team"].pk if data.get("team") else "",
            "service": data["service"].pk if data.get("service") else "",
            "priority": data.get("priority") or "",
        }
        target = data.get("target")
        if target is not None:
            kind = metrics.metric(data["metric_key"]).kind
            target = (
                target * 3600
                if kind == "duration"
                else (target / 100 if kind == "ratio" else target)
            )
        return {
            "title": data["title"],
            "description": data.get("description") or "",
            "owner": data["owner"],
            "due_on": data.get("due_on"),
            "metric_key": data["metric_key"],
            "metric_filters": urlencode({k: v for k, v in scope.items() if v}),
            "target": target,
            "problem": data.get("problem"),
            "review": data.get("review"),
            "dashboard": data.get("dashboard") or "",
        }


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label="Outcome", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
