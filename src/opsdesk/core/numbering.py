"""Human record numbers (INC0001001): unique per prefix, safe under concurrent creation."""

from django.db import connection

FIRST_NUMBER = 1001
DIGITS = 7


def number_next(*, prefix: str) -> str:
    """Allocate the next number for ``prefix``; call it inside the creating transaction.

    One upsert takes the next value: the first call for a prefix inserts FIRST_NUMBER, every
    later one bumps the row with ``ON CONFLICT ... DO UPDATE ... RETURNING``, which takes a row
    lock on PostgreSQL and the database write lock on SQLite, so two creators never share a
    number. A creation that rolls back returns its number to the pool (gaps are tolerated).
    """
    table = "core_numbersequence"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, last_value) VALUES (%s, %s) "
            f"ON CONFLICT (prefix) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [prefix, FIRST_NUMBER],
        )
        (value,) = cursor.fetchone()
    return f"{prefix}{value:0{DIGITS}d}"
