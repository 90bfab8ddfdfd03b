"""The improvement action's life, as data: planned, in progress, done or dropped."""

from opsdesk.core.workflow import Transition, Workflow
from opsdesk.reporting.models import ImprovementState as S


def _needs_outcome(record, *, outcome: str = "", **kwargs):
    if not (outcome or "").strip():
        return {"outcome": ["Say what happened: the outcome is what the next review reads."]}
    return None


IMPROVEMENT_WORKFLOW = Workflow(
    states=dict(S.choices),
    initial=S.PLANNED,
    transitions=(
        Transition("start", frozenset({S.PLANNED}), S.IN_PROGRESS, "Start"),
        Transition("finish", frozenset({S.IN_PROGRESS}), S.DONE, "Mark done", (_needs_outcome,)),
        Transition(
            "drop", frozenset({S.PLANNED, S.IN_PROGRESS}), S.DROPPED, "Drop", (_needs_outcome,)
        ),
        Transition("reopen", frozenset({S.DONE, S.DROPPED}), S.IN_PROGRESS, "Reopen"),
    ),
    final=frozenset({S.DONE, S.DROPPED}),
)
