"""How a ticket learns its approval's outcome, synchronously, in the deciding transaction.

The app that owns the ticket registers a callback from its ``AppConfig.ready()``:

    on_outcome("requested_item", item_approval_outcome)   # a record type key
    on_outcome(RequestedItem, item_approval_outcome)      # or the model itself

When an approval on such a ticket ends approved or rejected, every matching callback is
called inside the transaction that decided it, as
``callback(subject=..., approval=..., outcome="approved" | "rejected", actor=...)``; a rejection's
reason is ``approval.reason``. A callback that raises rolls the decision back with it.
"""

import contextlib
from collections.abc import Callable

from django.db import models

from opsdesk.core.tickets.registry import ticket_type_of

Callback = Callable[..., None]
_CALLBACKS: dict[object, list[Callback]] = {}


def on_outcome(key: str | type[models.Model], callback: Callback) -> None:
    """Call ``callback`` when an approval on a ticket of ``key`` (a record type key or a
    model class) is approved or rejected. Registering the same callback twice is harmless."""
    callbacks = _CALLBACKS.setdefault(key, [])
    if callback not in callbacks:
        callbacks.append(callback)


def forget_outcome(key: str | type[models.Model], callback: Callback) -> None:
    """Stop calling ``callback`` (tests that register their own)."""
    if callback in _CALLBACKS.get(key, []):
        _CALLBACKS[key].remove(callback)


def callbacks_for(subject: models.Model) -> list[Callback]:
    keys: list[object] = [type(subject)]
    with contextlib.suppress(LookupError):
        keys.append(ticket_type_of(subject).key)
    found: list[Callback] = []
    for key in keys:
        for callback in _CALLBACKS.get(key, []):
            if callback not in found:
                found.append(callback)
    return found
