"""State machines as data: every domain declares its states and allowed moves with these.

A guard takes the record and the transition's keyword arguments and returns ``None`` when the
move may go ahead, or a dict of field errors (or a plain message) when it may not.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from opsdesk.core.errors import TransitionRefused

Guard = Callable[..., dict | str | None]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    label: str = ""
    guards: tuple[Guard, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Workflow:
    states: dict[str, str]  # value -> label
    initial: str
    transitions: tuple[Transition, ...]
    final: frozenset[str] = frozenset()

    def __post_init__(self):
        for t in self.transitions:
            unknown = (set(t.sources) | {t.target}) - set(self.states)
            if unknown:
                raise ValueError(f"transition {t.name} names unknown states {sorted(unknown)}")

    def allowed(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def transition(self, name: str) -> Transition:
        for t in self.transitions:
            if t.name == name:
                return t
        raise TransitionRefused(f"There is no action called {name!r}.")

    def check(self, record, name: str, *, state_field: str = "state", **kwargs) -> Transition:
        """The transition, if it is allowed from the record's state and its guards pass."""
        state = getattr(record, state_field)
        t = self.transition(name)
        if state not in t.sources:
            allowed = ", ".join(a.name for a in self.allowed(state)) or "none"
            raise TransitionRefused(
                f"Cannot {name} a record that is {self.states.get(state, state)}. "
                f"Allowed from here: {allowed}.",
                fields={state_field: [f"{name} is not allowed from {state}"]},
            )
        problems: dict[str, list[str]] = {}
        for guard in t.guards:
            verdict = guard(record, **kwargs)
            if isinstance(verdict, str):
                problems.setdefault("__all__", []).append(verdict)
            elif verdict:
                for key, msgs in verdict.items():
                    problems.setdefault(key, []).extend([msgs] if isinstance(msgs, str) else msgs)
        if problems:
            summary = "; ".join(m for msgs in problems.values() for m in msgs)
            raise TransitionRefused(f"Cannot {name}: {summary}", fields=problems)
        return t
