"""Outbox reactions of access management: provisioning steps run right after the change that
made them commits (the periodic sweep retries those that failed)."""

from opsdesk.access import services
from opsdesk.core.outbox import outbox_handler


@outbox_handler("access.provisioning_due")
def run_provisioning(*, event_id, topic, payload):
    # The step keeps its own failure and retry time: the event is done either way.
    services.provisioning_run(step_id=payload["step_id"])


@outbox_handler("access.batch_due")
def run_batch(*, event_id, topic, payload):
    """A leaver's or a review's removals, together: one connection per directory."""
    services.provisioning_run_batch(batch=payload["batch"])


@outbox_handler("user.changed")
def joiner_mover_leaver(*, event_id, topic, payload):
    """A person's record changed (the people pages, the API, an HR import, SCIM): note a
    joiner, mover or leaver and do what is due now, as the system."""
    from datetime import date

    from opsdesk.core.models import User

    person = User.objects.filter(pk=payload.get("user_id")).first()
    if person is None:
        return
    before = payload.get("before")
    if before is not None:
        before = dict(before)
        for name in ("starts_on", "leaves_on"):
            if isinstance(before.get(name), str):
                before[name] = date.fromisoformat(before[name])
    services.person_changed(
        actor=None, person=person, before=before, source=payload.get("source") or "user record"
    )
