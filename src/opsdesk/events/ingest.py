"""Accept events fast and durably: authenticate, rate-limit, write raw rows, answer 202.

Everything expensive (rules, CMDB look-ups, alerts) happens later in processing; here we only
write what was received, in one transaction, so an accepted event is never lost.
"""

import hashlib
import json
import re
import time

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from opsdesk.events.bulk import insert_values
from opsdesk.events.models import Event, Integration, RateWindow, hash_secret

MAX_INGEST_BYTES = 512 * 1024
# Retries of the same body within this many seconds are the same delivery; a later
# identical body (Alertmanager's repeat interval) is a new one and refreshes the alert.
RETRY_WINDOW_SECONDS = 120
RATE_WINDOW_SECONDS = 60
clock = time.time  # the rate windows' clock; tests hold it still

_after_accept_hooks = []


def on_accepted(hook) -> None:
    """Run ``hook`` after a transaction that accepted events commits (wakes the worker)."""
    if hook not in _after_accept_hooks:
        _after_accept_hooks.append(hook)


def integration_by_secret(secret: str) -> Integration | None:
    if not secret:
        return None
    return Integration.objects.filter(secret_hash=hash_secret(secret), active=True).first()


def integration_by_token(token: str) -> Integration | None:
    return Integration.objects.filter(token=token, active=True).first()


def bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    return credentials.strip() if scheme.lower() in ("bearer", "token") else ""


class RateLimited(Exception):
    """More events than the integration may send this minute; nothing was written."""

    def __init__(self, retry_after: int):
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


def rate_limited(integration: Integration, count: int, *, now: float | None = None) -> int:
    """Count ``count`` events against the integration's window; seconds to wait, or 0.

    Refused events are not counted: a sender that backs off gets in once the minute turns.
    Call it inside the transaction that writes the events, so that on SQLite one write
    transaction does both (and a refusal rolls the count back).
    """
    now = now if now is not None else clock()
    window = int(now // RATE_WINDOW_SECONDS)
    shared = _cache_is_shared()
    if shared:
        used = _count_in_cache(integration.pk, window, count)
    else:
        used = _count_in_database(integration.pk, window, count)
    if used > integration.rate_limit_per_minute:
        if shared:
            cache.decr(f"events:rate:{integration.pk}:{window}", count)
        else:
            RateWindow.objects.filter(integration_id=integration.pk, minute=window).update(
                used=F("used") - count
            )
        return max(1, int((window + 1) * RATE_WINDOW_SECONDS - now))
    return 0


def _cache_is_shared() -> bool:
    # The memory cache is per process; Redis (OPSDESK_REDIS_URL) is one for all of them.
    return "locmem" not in settings.CACHES["default"]["BACKEND"].lower()


def _count_in_cache(integration_id: int, window: int, count: int) -> int:
    key = f"events:rate:{integration_id}:{window}"
    try:
        return cache.incr(key, count)
    except ValueError:
        # First request of the window; add() loses the race harmlessly to a concurrent one.
        if not cache.add(key, count, timeout=RATE_WINDOW_SECONDS * 2):
            return cache.incr(key, count)
        return count


def _count_in_database(integration_id: int, window: int, count: int) -> int:
    """One upsert that adds and reads back, atomic on both databases."""
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (integration_id, minute, used) VALUES (%s, %s, %s) "
            f"ON CONFLICT (integration_id, minute) DO UPDATE SET used = {table}.used + "
            "excluded.used RETURNING used",
            [integration_id, window, count],
        )
        return cursor.fetchone()[0]


def rate_windows_prune(*, now: float | None = None) -> int:
    """Forget the counts of windows that have passed."""
    window = int((now if now is not None else clock()) // RATE_WINDOW_SECONDS)
    return RateWindow.objects.filter(minute__lt=window - 1).delete()[0]


def delivery_keys(*, integration_id: int, body: bytes, count: int, idempotency_key: str, now):
    """One key per event of a delivery: the same for a retry, different for a later resend."""
    if idempotency_key:
        basis = f"key:{idempotency_key}"
    else:
        bucket = int(now.timestamp() // RETRY_WINDOW_SECONDS)
        basis = f"body:{bucket}:{hashlib.sha256(body).hexdigest()}"
    prefix = f"{integration_id}|{basis}|"
    return [hashlib.sha256(f"{prefix}{index}".encode()).hexdigest() for index in range(count)]


LONG_NUMBER = re.compile(rb"[0-9]{20}")


def json_read(body: bytes):
    """The decoded body, without NUL characters; ValueError when it is not JSON.

    orjson reads UTF-8 several times faster than the standard library; what it refuses
    (other encodings, NaN) goes to the standard library, whose message is the one a sender
    sees. orjson would read integers past 64 bits as floats: a body with a run of 20 digits
    anywhere goes to the standard library too, which keeps them exact.
    """
    try:
        if LONG_NUMBER.search(body):
            raise orjson.JSONDecodeError("long number", "", 0)
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = json.loads(body)
    # JSON writes a NUL only as an escape: a body without one holds none anywhere.
    return without_nul(value) if b"\\u0000" in body else value


def without_nul(value):
    """``value`` with NUL characters taken out of every text in it, keys included.

    PostgreSQL stores no NUL in text or JSON (SQLite would): stripping them here means an
    event reads the same whichever database keeps it.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nul(v) for v in value]
    return value


def events_accept(
    *,
    integration: Integration,
    events: list[dict],
    body: bytes,
    idempotency_key: str = "",
    limit_rate: bool = False,
    nul_free: bool = False,
) -> int:
    """Write normalised events as pending; a retried delivery adds nothing. Returns the count.

    With ``limit_rate`` the events count against the integration's rate in the same
    transaction, and ``RateLimited`` is raised (nothing written) when they are too many.
    ``nul_free`` says the events were read from a body ``json_read`` cleaned already.
    """
    now = timezone.now()
    keys = delivery_keys(
        integration_id=integration.pk,
        body=body,
        count=len(events),
        idempotency_key=idempotency_key,
        now=now,
    )
    rows = [
        {
            **(event if nul_free else without_nul(event)),
            "integration_id": integration.pk,
            "delivery_key": key,
            "received_at": now,
        }
        for event, key in zip(events, keys, strict=True)
    ]
    if not rows:
        return 0
    # A delivery is written whole or not at all, so its first key tells whether it is a retry;
    # two copies of one delivery racing each other meet on the unique delivery key.
    first = Event.objects.filter(delivery_key=rows[0]["delivery_key"])
    try:
        with transaction.atomic():
            if first.exists():
                return len(rows)
            if limit_rate and (retry_after := rate_limited(integration, len(rows))):
                raise RateLimited(retry_after)
            insert_values(Event, rows)
            for hook in _after_accept_hooks:
                transaction.on_commit(hook)
    except IntegrityError:
        if not first.exists():
            raise
    return len(rows)
