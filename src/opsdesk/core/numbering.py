"""Human record numbers (INC0001001): unique per prefix, safe under concurrent creation."""

from django.db import connection

FIRST_NUMBER = 1001
DIGITS = 7


def number_next(*, prefix: str) -> str:
    """Allocate the next number for ``prefix``; call it inside the creating transaction.

    The sequence row is bumped with one UPDATE ... RETURNING, which takes a row lock on
    PostgreSQL and the database write lock on SQLite, so two creators never share a number.
    A creation that rolls back returns its number to the pool (gaps are tolerated anyway).
    """
    table = "core_numbersequence"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, last_value) VALUES (%s, %s) "
            "ON CONFLICT (prefix) DO NOTHING",
            [prefix, FIRST_NUMBER - 1],
        )
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + 1 WHERE prefix = %s "
            "RETURNING last_value",
            [prefix],
        )
        (value,) = cursor.fetchone()
    return f"{prefix}{value:0{DIGITS}d}"
