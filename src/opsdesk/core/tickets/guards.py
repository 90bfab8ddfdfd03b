"""Guards any record type's workflow may use: who may make a move, and what it needs first.

A guard takes the ticket and the move's keyword arguments and returns None, field messages,
or a plain message (``core.workflow``); raising NotPermitted refuses the person, not the move.
"""

from opsdesk.core.errors import NotPermitted
from opsdesk.core.roles import is_agent


def system_only(record, *, actor=None, **_):
    """Approval outcomes and the work's progress move a ticket by themselves (the actor is
    None, the system); nobody types them in."""
    if actor is not None:
        raise NotPermitted("This step happens by itself, as approvers decide and the work is done.")
    return None


def requester_or_agent(record, *, actor=None, **_):
    """The person who asked, the person it is for, or the desk."""
    if actor is None or is_agent(actor):
        return None
    if actor.pk in (record.caller_id, record.requested_for_id):
        return None
    raise NotPermitted("Only the requester or the service desk may do this.")


def agents_only(record, *, actor=None, **_):
    """Not a matter of the record's state: a requester asking is refused as not permitted."""
    if actor is not None and not is_agent(actor):
        raise NotPermitted("Only service-desk staff may do this.")
    return None


def needs_group(record, **_):
    if record.assignment_group_id is None:
        noun = record._meta.verbose_name
        return {"assignment_group": f"Assign the {noun} to a group first."}
    return None


def needs_reason(record, *, reason="", **_):
    """A move that must say why (cancel, reopen, ask the requester)."""
    if not (reason or "").strip():
        return {"reason": "Give a reason."}
    return None
