"""Outbox reactions of access management: provisioning steps run right after the change that
made them commits (the periodic sweep retries those that failed)."""

from opsdesk.access import services
from opsdesk.core.outbox import outbox_handler


@outbox_handler("access.provisioning_due")
def run_provisioning(*, event_id, topic, payload):
    # The step keeps its own failure and retry time: the event is done either way.
    services.provisioning_run(step_id=payload["step_id"])
