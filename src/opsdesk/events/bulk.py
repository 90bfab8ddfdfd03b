"""Many rows in few statements: the write paths of ingest and processing.

Django's ``bulk_create`` and ``bulk_update`` spend more time building SQL in Python than the
database spends running it (``bulk_update`` writes a CASE per field per row; on PostgreSQL
``bulk_create`` quotes arrays client-side). These helpers send COPY (PostgreSQL) or one
multi-row INSERT (SQLite), and one UPDATE for all rows (PostgreSQL: the new values as one
array per column; SQLite: the statement executed for each row).
"""

import json

from django.db import connection

# SQLite allows 32,766 parameters in a statement in the versions we support.
MAX_PARAMS = 30_000


def _cursor():
    """A cursor that binds parameters on the server (PostgreSQL); Django's otherwise."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


# Fields whose Python value is already what the driver sends: get_db_prep_save, which costs
# several microseconds a value, is skipped for them.
PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "TextField",
}


def _is_json(field) -> bool:
    return field.get_internal_type() == "JSONField"


def _array_type(field) -> str:
    return "text" if _is_json(field) else field.db_type(connection)


def _converter(field, json_as_text=False):
    kind = field.get_internal_type()
    if kind in PLAIN:
        return None
    if kind == "JSONField" and field.encoder is None:
        if connection.vendor == "postgresql" and not json_as_text:
            from psycopg.types.json import Jsonb

            return lambda value: Jsonb(value) if value is not None else None
        return lambda value: json.dumps(value) if value is not None else None
    if kind == "DateTimeField" and connection.vendor == "postgresql":
        return None  # aware datetimes go as they are
    return lambda value: field.get_db_prep_save(value, connection)


def _rows(objs: list, fields: list, extra=(), json_as_text=False) -> list[list]:
    converters = [(f.attname, _converter(f, json_as_text)) for f in fields]
    rows = []
    for obj in objs:
        values = obj.__dict__
        row = [convert(values[name]) if convert else values[name] for name, convert in converters]
        row.extend(values[name] for name in extra)
        rows.append(row)
    return rows


def insert_rows(model, objs: list, *, returning_ids: bool = False) -> None:
    """INSERT ``objs`` (every concrete field); a unique violation raises IntegrityError.

    PostgreSQL gets COPY, several times faster than any INSERT for a batch, with ids taken
    from the table's sequence first when the caller needs them; SQLite a multi-row INSERT.
    """
    if not objs:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        fields = list(meta.concrete_fields) if returning_ids else _non_pk(meta)
        with connection.wrap_database_errors, _cursor() as cursor:
            if returning_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, len(objs)],
                )
                for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                    obj.pk = pk
            columns = ", ".join(qn(f.column) for f in fields)
            with cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in _rows(objs, fields):
                    copy.write_row(row)
    else:
        fields = _non_pk(meta)
        head = "INSERT INTO {} ({}) VALUES ".format(
            qn(meta.db_table), ", ".join(qn(f.column) for f in fields)
        )
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        tail = f" RETURNING {qn(meta.pk.column)}" if returning_ids else ""
        per_statement = max(1, MAX_PARAMS // len(fields))
        with connection.cursor() as cursor:
            for start in range(0, len(objs), per_statement):
                chunk = objs[start : start + per_statement]
                params = [value for row_ in _rows(chunk, fields) for value in row_]
                cursor.execute(head + ", ".join([row] * len(chunk)) + tail, params)
                if returning_ids:
                    for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                        obj.pk = pk
    for obj in objs:
        obj._state.adding = False


def _non_pk(meta) -> list:
    return [f for f in meta.concrete_fields if not f.primary_key]


def update_rows(model, objs: list, field_names: list[str]) -> None:
    """Write ``field_names`` of many rows.

    PostgreSQL: one UPDATE joined to the new values passed as one array per column; SQLite:
    one UPDATE executed for each row.
    """
    if not objs:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    fields = [meta.get_field(name) for name in field_names]
    pk = meta.pk
    if connection.vendor == "postgresql":
        # JSON goes as text and is cast by the server: psycopg dumps an array of Jsonb values
        # element by element in Python, several times slower.
        rows = _rows(objs, fields, extra=(pk.attname,), json_as_text=True)
        table = qn(meta.db_table)
        names = ["v_pk", *(f"v{n}" for n in range(len(fields)))]
        arrays = ", ".join(f"%s::{_array_type(f)}[]" for f in (pk, *fields))
        sql = "UPDATE {} SET {} FROM unnest({}) AS v({}) WHERE {}.{} = v.v_pk".format(
            table,
            ", ".join(
                f"{qn(f.column)} = v.v{n}" + ("::jsonb" if _is_json(f) else "")
                for n, f in enumerate(fields)
            ),
            arrays,
            ", ".join(names),
            table,
            qn(pk.column),
        )
        columns = list(zip(*rows, strict=True))
        params = [list(columns[-1]), *(list(c) for c in columns[:-1])]
        with connection.wrap_database_errors, _cursor() as cursor:
            cursor.execute(sql, params)
        return
    rows = _rows(objs, fields, extra=(pk.attname,))
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in fields),
        qn(pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
