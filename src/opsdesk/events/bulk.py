"""Many rows in few statements: the write paths of ingest and processing.

Django's ``bulk_create`` and ``bulk_update`` spend more time building SQL in Python than the
database spends running it (``bulk_update`` writes a CASE per field per row; on PostgreSQL
``bulk_create`` quotes arrays client-side). These helpers send COPY (PostgreSQL) or one
multi-row INSERT (SQLite), and one UPDATE for all rows (PostgreSQL: the new values as one
array per column; SQLite: the statement executed for each row).
"""

import json

import orjson
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


def _converter(field):
    kind = field.get_internal_type()
    if kind in PLAIN:
        return None
    if kind == "JSONField" and field.encoder is None:
        # JSON goes as text, parsed by the server: COPY reads it so, and psycopg would dump
        # an array of Jsonb values element by element in Python, several times slower.
        return json_text
    if kind == "DateTimeField" and connection.vendor == "postgresql":
        return None  # aware datetimes go as they are
    return lambda value: field.get_db_prep_save(value, connection)


def json_text(value) -> str | None:
    """``value`` as JSON text: orjson, or the standard library for what orjson refuses."""
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers past 64 bits, keys that are not text
        return json.dumps(value)


def _rows(objs: list, fields: list) -> list[list]:
    converters = [(f.attname, _converter(f)) for f in fields]
    rows = []
    for obj in objs:
        values = obj.__dict__
        rows.append(
            [convert(values[name]) if convert else values[name] for name, convert in converters]
        )
    return rows


def insert_rows(model, objs: list, *, returning_ids: bool = False) -> None:
    """INSERT ``objs`` (every concrete field); a unique violation raises IntegrityError.

    PostgreSQL gets COPY, several times faster than any INSERT for a batch, with ids taken
    from the table's sequence first when the caller needs them; SQLite a multi-row INSERT.
    ``objs`` are model instances or any objects with the fields' attnames as attributes.
    """
    if not objs:
        return
    meta = model._meta
    fields = list(meta.concrete_fields) if returning_ids else _non_pk(meta)
    if connection.vendor == "postgresql" and returning_ids:
        for obj, pk in zip(objs, _next_ids(meta, len(objs)), strict=True):
            obj.__dict__[meta.pk.attname] = pk
        _insert(model, fields, _rows(objs, fields))
    elif connection.vendor == "postgresql":
        _insert(model, fields, _rows(objs, fields))
    else:
        fields = _non_pk(meta)
        ids = _insert(model, fields, _rows(objs, fields), returning_ids=returning_ids)
        for obj, pk in zip(objs, ids, strict=True):
            obj.__dict__[meta.pk.attname] = pk
    for obj in objs:
        if state := getattr(obj, "_state", None):
            state.adding = False


def insert_values(model, rows: list[dict]) -> None:
    """INSERT rows given as ``{attname: value}``; a missing field takes its default.

    The ingest path: building model instances costs more than writing the rows.
    """
    if not rows:
        return
    fields = _non_pk(model._meta)
    defaults = [(f.attname, f.get_default()) for f in fields]
    converters = [_converter(f) for f in fields]
    values = []
    for row in rows:
        line = [row.get(name, default) for name, default in defaults]
        values.append(
            [convert(v) if convert else v for v, convert in zip(line, converters, strict=True)]
        )
    _insert(model, fields, values)


def _next_ids(meta, count: int) -> list[int]:
    with connection.wrap_database_errors, _cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _insert(model, fields: list, rows: list[list], *, returning_ids: bool = False) -> list:
    """Write prepared rows: COPY on PostgreSQL, multi-row INSERTs on SQLite (ids if asked)."""
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    if connection.vendor == "postgresql":
        copy_sql = f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN"
        with (
            connection.wrap_database_errors,
            _cursor() as cursor,
            cursor.copy(copy_sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return []
    head = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {qn(meta.pk.column)}" if returning_ids else ""
    per_statement = max(1, MAX_PARAMS // len(fields))
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [value for row in chunk for value in row]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)
            if returning_ids:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def _non_pk(meta) -> list:
    return [f for f in meta.concrete_fields if not f.primary_key]


def update_rows(model, objs: list, field_names: list[str]) -> None:
    """Write ``field_names`` of many rows (model instances or plain objects with attnames)."""
    if not objs:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    pk = meta.pk.attname
    update_values(
        model,
        [obj.__dict__[pk] for obj in objs],
        {f.name: [obj.__dict__[f.attname] for obj in objs] for f in fields},
    )


def update_values(model, pks: list, columns: dict[str, list]) -> None:
    """Set each of ``columns`` (field name -> one value per pk) on the rows ``pks``.

    PostgreSQL: one UPDATE joined to the new values passed as one array per column; SQLite:
    one UPDATE executed for each row.
    """
    if not pks:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    fields = [meta.get_field(name) for name in columns]
    pk = meta.pk
    if connection.vendor == "postgresql":
        arrays = [list(pks)]
        for f, values in zip(fields, columns.values(), strict=True):
            convert = _converter(f)
            arrays.append([convert(v) for v in values] if convert else list(values))
        table = qn(meta.db_table)
        names = ["v_pk", *(f"v{n}" for n in range(len(fields)))]
        sql = "UPDATE {} SET {} FROM unnest({}) AS v({}) WHERE {}.{} = v.v_pk".format(
            table,
            ", ".join(
                f"{qn(f.column)} = v.v{n}" + ("::jsonb" if _is_json(f) else "")
                for n, f in enumerate(fields)
            ),
            ", ".join(f"%s::{_array_type(f)}[]" for f in (pk, *fields)),
            ", ".join(names),
            table,
            qn(pk.column),
        )
        with connection.wrap_database_errors, _cursor() as cursor:
            cursor.execute(sql, arrays)
        return
    converted = []
    for f, values in zip(fields, columns.values(), strict=True):
        convert = _converter(f)
        converted.append([convert(v) for v in values] if convert else values)
    rows = [[*row, pk_value] for *row, pk_value in zip(*converted, pks, strict=True)]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in fields),
        qn(pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
