"""A problem's target dates on the SLA engine: time to root cause and time to fix.

``problem`` SLA policies set them per priority: the response target is the time to root cause
(met when the problem becomes a known error), the resolution target the time to fix (met when it
is resolved). Accepted known errors pause the fix clock when the policy lists ``accepted``
among its pause states.
"""

from opsdesk.problems.models import ProblemState
from opsdesk.problems.workflow import PROBLEM_WORKFLOW
from opsdesk.sla.tickets import TicketClocks


def problem_attributes(problem) -> dict:
    return {"priority": f"P{problem.priority}"}


class ProblemClocks(TicketClocks):
    def state_changed(self, record, *, from_state, to_state, at, responded=False) -> None:
        if to_state == ProblemState.KNOWN_ERROR and from_state == ProblemState.ROOT_CAUSE_ANALYSIS:
            self.responded(record, at=at)  # the root cause is found
        super().state_changed(
            record, from_state=from_state, to_state=to_state, at=at, responded=responded
        )


PROBLEM_CLOCKS = ProblemClocks(
    record_type="problem", workflow=PROBLEM_WORKFLOW, attributes=problem_attributes
)
