"""Forms for business calendars and SLA policies.

Working hours, holidays and lists are typed as short lines of text ("Mon-Fri 08:00-18:00")
rather than as grids of inputs: quicker on the keyboard, easy to paste, and each line that
cannot be read gets its own message. The services validate the record again before writing.
"""

from datetime import date
from functools import cache
from itertools import pairwise
from zoneinfo import available_timezones

from django import forms

from opsdesk.cmdb.models import Criticality
from opsdesk.cmdb.selectors import service_list
from opsdesk.core.forms import VersionedForm
from opsdesk.sla.business_time import format_clock, parse_clock
from opsdesk.sla.hold_reasons import (
    default_pause_reasons,
    hold_reason_choices,
    state_choices,
    timed_record_types,
)
from opsdesk.sla.models import BusinessCalendar, SlaPolicy
from opsdesk.sla.models.calendars import WEEKDAYS
from opsdesk.sla.templatetags.sla import record_type_label as _record_type_label

_time_zones = cache(available_timezones)

DAY_ABBREVIATIONS = dict(
    zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True)
)
_DAY_NAMES = {
    **{key: key for key in WEEKDAYS},
    **dict(
        zip(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            WEEKDAYS,
            strict=True,
        )
    ),
}
_DASHES = ("–", "—")


def _normalise_dashes(text: str) -> str:
    for dash in _DASHES:
        text = text.replace(dash, "-")
    return text


def _parse_days(text: str) -> list[str]:
    """ "Mon" -> ["mon"]; "Mon-Fri" -> ["mon", …, "fri"]."""
    first, _, last = text.lower().partition("-")
    start, end = _DAY_NAMES.get(first.strip()), _DAY_NAMES.get(last.strip() or first.strip())
    if start is None or end is None:
        raise ValueError(f"{text!r} is not a weekday like Mon or a range like Mon-Fri")
    i, j = WEEKDAYS.index(start), WEEKDAYS.index(end)
    if j < i:
        raise ValueError(f"{text} runs backwards; write the days Monday first, like Mon-Fri")
    return list(WEEKDAYS[i : j + 1])


def _parse_interval(text: str) -> tuple[int, int]:
    start, sep, end = text.strip().partition("-")
    if not sep:
        raise ValueError(f"{text.strip()!r} is not an interval like 08:00-12:00")
    first, last = parse_clock(start.strip()), parse_clock(end.strip())
    if first >= last:
        raise ValueError(
            f"{text.strip()} ends before it starts; for hours past midnight end this day at "
            "24:00 and start the next day at 00:00"
        )
    return first, last


def parse_working_hours(text: str) -> dict[str, list[list[str]]]:
    """Lines like "Mon-Fri 08:00-12:00, 13:00-17:00" to the stored shape; ValueError lists
    every line that cannot be read, by line number."""
    by_day: dict[str, list[tuple[int, int, int]]] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _normalise_dashes(raw).strip()
        if not line:
            continue
        days_text, _, rest = line.partition(" ")
        try:
            days = _parse_days(days_text)
            if rest.strip().lower() == "closed":
                intervals = []
            elif not rest.strip():
                raise ValueError(f"give the hours after {days_text}, like 08:00-18:00")
            else:
                intervals = [_parse_interval(part) for part in rest.split(",")]
        except ValueError as error:
            problems.append(f"Line {number}: {error}.")
            continue
        for day in days:
            if day in by_day:
                problems.append(f"Line {number}: {DAY_ABBREVIATIONS[day]} is given twice.")
                continue
            by_day[day] = [(start, end, number) for start, end in intervals]
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        intervals = sorted(by_day.get(day, []))
        for (_, end, _), (start, _, number) in pairwise(intervals):
            if start < end:
                problems.append(f"Line {number}: the hours of {DAY_ABBREVIATIONS[day]} overlap.")
        if intervals:
            hours[day] = [[format_clock(s), format_clock(e)] for s, e, _ in intervals]
    if problems:
        raise ValueError(problems)
    return hours


def format_working_hours(hours: dict) -> str:
    lines = []
    for day in WEEKDAYS:
        intervals = hours.get(day) or []
        if intervals:
            text = ", ".join(f"{s}-{e}" for s, e in intervals)
            lines.append(f"{DAY_ABBREVIATIONS[day]} {text}")
    return "\n".join(lines)


def parse_holidays(text: str) -> list[dict[str, str]]:
    """Lines like "2025-12-24 Christmas Eve" (the name is optional), in date order."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        day, _, name = line.partition(" ")
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            problems.append(f"Line {number}: {day!r} is not a date like 2025-12-24.")
            continue
        if parsed.isoformat() in found:
            problems.append(f"Line {number}: {parsed} is given twice.")
            continue
        found[parsed.isoformat()] = name.strip()
    if problems:
        raise ValueError(problems)
    return [{"date": day, "name": name} for day, name in sorted(found.items())]


def format_holidays(holidays: list) -> str:
    return "\n".join(f"{h.get('date', '')} {h.get('name', '')}".rstrip() for h in holidays)


def _as_validation_error(error: ValueError) -> forms.ValidationError:
    messages = error.args[0] if error.args and isinstance(error.args[0], list) else [str(error)]
    return forms.ValidationError(messages)


class CalendarForm(VersionedForm):
    working_hours = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "spellcheck": "false"}),
        help_text=(
            "One line per day or range of days, e.g. “Mon-Fri 08:00-12:00, 13:00-17:00” and "
            "“Sat 09:00-13:00”. Days not given are closed; 24:00 ends an interval at midnight."
        ),
    )
    holidays = forms.CharField(
        label="Own holidays",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One date a line, with an optional name: “2025-12-24 Christmas Eve”.",
    )

    class Meta:
        model = BusinessCalendar
        fields = [
            "name",
            "time_zone",
            "always_open",
            "working_hours",
            "holidays",
            "holiday_country",
            "holiday_subdivision",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["working_hours"] = format_working_hours(self.instance.working_hours)
            self.initial["holidays"] = format_holidays(self.instance.holidays)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = BusinessCalendar.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("A calendar with this name already exists.")
        return name

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"].strip()
        if zone not in _time_zones():
            raise forms.ValidationError(f"{zone!r} is not a time zone like Europe/London.")
        return zone

    def clean_working_hours(self):
        try:
            return parse_working_hours(self.cleaned_data["working_hours"])
        except ValueError as error:
            raise _as_validation_error(error) from None

    def clean_holidays(self):
        try:
            return parse_holidays(self.cleaned_data["holidays"])
        except ValueError as error:
            raise _as_validation_error(error) from None

    def clean_holiday_country(self):
        return self.cleaned_data["holiday_country"].strip().upper()

    def clean_holiday_subdivision(self):
        return self.cleaned_data["holiday_subdivision"].strip()


def _words(text: str) -> list[str]:
    """ "P1, P2" -> ["P1", "P2"]: commas or spaces between, no empties, no repeats."""
    seen: list[str] = []
    for word in text.replace(",", " ").split():
        if word not in seen:
            seen.append(word)
    return seen


def _format_list(values) -> str:
    return ", ".join(str(v) for v in values or [])


DURATION_HELP = (
    "Business time as hours:minutes:seconds (“4:00:00”) or days and time (“2 00:00:00”)."
)
VIP_CHOICES = [
    ("", "Any caller"),
    ("true", "VIP callers only"),
    ("false", "Callers who are not VIP"),
]


class PolicyForm(VersionedForm):
    """A policy; its conditions are shown as one input each and stored as one object."""

    condition_priority = forms.CharField(
        label="Priorities",
        required=False,
        help_text="Empty: any priority. e.g. “P1, P2”.",
    )
    condition_services = forms.ModelMultipleChoiceField(
        label="Services",
        queryset=service_list().order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="None chosen: any service.",
    )
    condition_ci_criticality = forms.TypedMultipleChoiceField(
        label="CI criticality",
        choices=Criticality.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any criticality.",
    )
    condition_caller_vip = forms.ChoiceField(label="Caller", choices=VIP_CHOICES, required=False)
    condition_department = forms.CharField(
        label="Caller departments",
        required=False,
        help_text="Empty: any department. Separate several with commas.",
    )
    pause_states = forms.MultipleChoiceField(
        label="Clock pauses in",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="States that stop the clocks (for the hold reasons ticked below).",
    )
    response_pause_reasons = forms.MultipleChoiceField(
        label="Response clock pauses for",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Hold reasons that stop the response clock in a pause state; the others "
        "keep it running.",
    )
    resolution_pause_reasons = forms.MultipleChoiceField(
        label="Resolution and OLA clocks pause for",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Hold reasons that stop the resolution clock and the assignment groups' "
        "clocks; the others keep them running.",
    )
    warning_thresholds = forms.CharField(
        label="Warn at (%)",
        required=False,
        help_text="Percentages of the target used, e.g. “50, 75, 90”. Empty: no warnings.",
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "order",
            "active",
            "record_type",
            "response_target",
            "response_calendar",
            "resolution_target",
            "resolution_calendar",
            "ola_target",
            "pause_states",
            "response_pause_reasons",
            "resolution_pause_reasons",
            "warning_thresholds",
            "description",
        ]
        labels = {"ola_target": "Per assignment group (OLA) target"}
        help_texts = {
            "response_target": DURATION_HELP,
            "resolution_target": DURATION_HELP,
            "ola_target": f"{DURATION_HELP} Counted in the resolution calendar.",
            "order": "Policies are tried from the lowest number; the first that matches applies.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Order the fields as the page reads: what it matches, then its targets.
        condition_names = [name for name in self.fields if name.startswith("condition_")]
        order = ["name", "order", "active", "record_type", *condition_names]
        self.order_fields(order)
        for name in ("response_calendar", "resolution_calendar"):
            self.fields[name].queryset = BusinessCalendar.objects.order_by("name")
        # Read when the form is built: the domains register their reasons once apps are ready.
        for name in ("response_pause_reasons", "resolution_pause_reasons"):
            self.fields[name].choices = hold_reason_choices()
        self.fields["pause_states"].choices = state_choices()
        kinds = timed_record_types() or ["incident"]
        if self.instance.pk and self.instance.record_type not in kinds:
            kinds.append(self.instance.record_type)
        self.fields["record_type"] = forms.ChoiceField(
            label="Applies to", choices=[(k, _record_type_label(k)) for k in kinds]
        )
        if self.instance.pk:
            conditions = self.instance.conditions or {}
            self.initial.update(
                condition_priority=_format_list(conditions.get("priority")),
                condition_services=conditions.get("service_id", []),
                condition_ci_criticality=conditions.get("ci_criticality", []),
                condition_caller_vip={True: "true", False: "false"}.get(
                    conditions.get("caller_vip"), ""
                ),
                condition_department=_format_list(conditions.get("department")),
                pause_states=list(self.instance.pause_states or []),
                warning_thresholds=_format_list(self.instance.warning_thresholds),
            )
        else:
            self.initial.setdefault("record_type", "incident")
            self.initial.setdefault("pause_states", ["on_hold"])
            self.initial.setdefault("warning_thresholds", "50, 75, 90")
            for name in ("response_pause_reasons", "resolution_pause_reasons"):
                self.initial.setdefault(name, default_pause_reasons())

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = SlaPolicy.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("A policy with this name already exists.")
        return name

    def clean_pause_states(self):
        return self._in_choice_order("pause_states")

    def _in_choice_order(self, name: str) -> list[str]:
        chosen = set(self.cleaned_data[name])
        return [value for value, _ in self.fields[name].choices if value in chosen]

    def clean_response_pause_reasons(self):
        return self._in_choice_order("response_pause_reasons")

    def clean_resolution_pause_reasons(self):
        return self._in_choice_order("resolution_pause_reasons")

    def clean_warning_thresholds(self):
        words = _words(self.cleaned_data["warning_thresholds"])
        bad = [w for w in words if not (w.isdigit() and 0 < int(w) < 100)]
        if bad:
            raise forms.ValidationError(
                f"{', '.join(bad)}: use whole percentages between 1 and 99, e.g. 50, 75."
            )
        return sorted(int(w) for w in words)

    def conditions(self) -> dict:
        data = self.cleaned_data
        conditions: dict = {}
        if priorities := _words(data.get("condition_priority", "")):
            conditions["priority"] = priorities
        if services := data.get("condition_services"):
            conditions["service_id"] = sorted(s.pk for s in services)
        if criticality := data.get("condition_ci_criticality"):
            conditions["ci_criticality"] = sorted(criticality)
        if vip := data.get("condition_caller_vip"):
            conditions["caller_vip"] = vip == "true"
        if departments := [
            d.strip() for d in data.get("condition_department", "").split(",") if d.strip()
        ]:
            conditions["department"] = departments
        return conditions

    def values(self) -> dict:
        values = {k: v for k, v in super().values().items() if not k.startswith("condition_")}
        return {**values, "conditions": self.conditions()}
