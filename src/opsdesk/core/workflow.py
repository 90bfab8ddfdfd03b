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


def _no_values(record, *, now, **kwargs) -> dict:
    return {}


@dataclass(frozen=True)
class Effect:
    """What a move does besides changing the state, declared next to the workflow table.

    ``values(record, now=..., **kwargs)`` gives the other fields the move sets; ``milestone``
    names the history milestone it is (``HistoryChange``: "resolved", "reopened"); ``clock``
    the SLA moment it is ("resolved", "reopened", "cancelled", "closed"; empty: a plain state
    change, pausing or resuming); ``topic`` the outbox fact published besides
    ``<type>.state_changed``; ``body(record, **kwargs)`` the timeline text; ``replies`` says a
    message given with the move reaches the caller, so it counts as the first response.
    """

    topic: str = ""
    values: Callable[..., dict] = _no_values
    milestone: str = ""
    clock: str = ""
    body: Callable[..., str] | None = None
    replies: bool = False


@dataclass(frozen=True)
class Workflow:
    states: dict[str, str]  # value -> label
    initial: str
    transitions: tuple[Transition, ...]
    final: frozenset[str] = frozenset()
    # States where the work is done but the ticket is not final yet (awaiting confirmation).
    resolved: frozenset[str] = frozenset()
    # States where the ticket waits (on hold): the SLA policy decides which pause clocks.
    waiting: frozenset[str] = frozenset()
    effects: dict[str, Effect] = field(default_factory=dict)

    def __post_init__(self):
        for t in self.transitions:
            unknown = (set(t.sources) | {t.target}) - set(self.states)
            if unknown:
                raise ValueError(f"transition {t.name} names unknown states {sorted(unknown)}")
        names = {t.name for t in self.transitions}
        if set(self.effects) - names:
            raise ValueError(f"effects for unknown moves {sorted(set(self.effects) - names)}")

    @property
    def open_states(self) -> frozenset[str]:
        return frozenset(self.states) - self.final - self.resolved

    def effect(self, name: str) -> Effect:
        return self.effects.get(name) or Effect(topic=name)

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
