"""Wake the sender once the mail or webhook rows a transaction queued are committed.

The worker task that sends lives in ``tasks.py``, above the services that queue; it registers
itself here when the app is ready, so services need not import the task layer.
"""

from collections.abc import Callable

from django.db import transaction

_wakers: list[Callable[[], None]] = []


def register_waker(wake: Callable[[], None]) -> None:
    if wake not in _wakers:
        _wakers.append(wake)


def wake_after_commit() -> None:
    for wake in _wakers:
        transaction.on_commit(wake)
