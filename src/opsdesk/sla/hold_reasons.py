"""The hold reasons and states each kind of record gives, so a policy can say which of them
pause a clock, and pages can name them by their labels.

The SLA engine knows no domain's vocabulary: a domain registers its reasons (value, label) and
the ones that pause by default from its ``apps.py`` ``ready()``, and passes a record's reason to
the service API as a plain value. Policy forms show the labels; policies store the values.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class HoldReasons:
    record_type: str
    choices: tuple[tuple[str, str], ...]
    # Waiting on the caller is not the desk's time; waiting on a vendor or a change usually is.
    pause_by_default: frozenset[str]


_registry: dict[str, HoldReasons] = {}


def register_hold_reasons(*, record_type: str, choices, pause_by_default) -> None:
    values = {value for value, _ in choices}
    unknown = set(pause_by_default) - values
    if unknown:
        raise ValueError(f"{sorted(unknown)} are not hold reasons of {record_type}")
    _registry[record_type] = HoldReasons(
        record_type=record_type,
        choices=tuple((str(value), str(label)) for value, label in choices),
        pause_by_default=frozenset(pause_by_default),
    )


def hold_reason_choices(record_type: str | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs of one record type, or of every registered type when None."""
    found: dict[str, str] = {}
    for entry in _registry.values():
        if record_type is None or entry.record_type == record_type:
            for value, label in entry.choices:
                found.setdefault(value, label)
    return list(found.items())


def hold_reason_label(value: str, record_type: str | None = None) -> str:
    return dict(hold_reason_choices(record_type)).get(value, value)


def default_pause_reasons() -> list[str]:
    """The reasons that pause a new policy's clocks until its manager says otherwise."""
    return sorted({value for entry in _registry.values() for value in entry.pause_by_default})


_state_labels: dict[str, dict[str, str]] = {}


def register_states(*, record_type: str, choices) -> None:
    """A record type's states (value, label), for policy pages naming its pause states."""
    _state_labels[record_type] = {str(value): str(label) for value, label in choices}


def state_label(value: str, record_type: str | None = None) -> str:
    for kind, labels in _state_labels.items():
        if (record_type is None or kind == record_type) and value in labels:
            return labels[value]
    return str(value).replace("_", " ").capitalize()


def state_choices(record_type: str | None = None) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for kind, labels in _state_labels.items():
        if record_type is None or kind == record_type:
            for value, label in labels.items():
                found.setdefault(value, label)
    return list(found.items())


def timed_record_types() -> list[str]:
    """The record types that registered their states: the ones a policy may apply to."""
    return list(_state_labels)
