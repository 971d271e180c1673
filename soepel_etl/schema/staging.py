"""The staging schema: the columns every ``staging/<source>`` table has, and the integer surrogates
staging keeps beside the pseudonyms for the build (ingest writes them, the build and the catalog read them).
"""

from __future__ import annotations

from .contracts import Source
from .rules import month_text_index_sql, surrogate_id_sql

LINEAGE = ("load_id", "file_name", "sender", "delivery_date", "line_number")


def surrogates(source: Source) -> list[tuple[str, str, str]]:
    """(name, SQL type, expression over a staged row) of the integer columns staging keeps for the build.

    Computed once per row at ingest rather than on every build: the build joins and groups on
    ``person_id`` (and for werk on ``employer_id`` and ``month_index``), never on 64-character strings.
    """
    cols = [("person_id", "BIGINT", surrogate_id_sql("person_key"))]
    if source.name == "werk":
        cols += [("employer_id", "BIGINT", surrogate_id_sql("employer_key")),
                 ("month_index", "INTEGER", month_text_index_sql("month"))]
    return cols


_TYPES = {"date": "DATE", "month": "VARCHAR", "integer": "INTEGER", "number": "DOUBLE"}


def staging_ddl(source: Source) -> str:
    """Column definitions of ``staging/<source>``: what the build expects even when nothing is staged."""
    cols = ["load_id VARCHAR", "file_name VARCHAR", "sender VARCHAR", "delivery_date DATE", "line_number BIGINT",
            "person_key VARCHAR", "identifier_type VARCHAR"]
    for c in source.columns:
        if c.kind == "identifier":
            continue
        if c.name == "geboortedatum":
            kind = "VARCHAR"
        elif c.name in ("diploma", "toestemming"):
            kind = "BOOLEAN"
        else:
            kind = _TYPES.get(c.kind, "VARCHAR")
        cols.append(f"{c.staged_as} {kind}")
    cols += [f"{name} {kind}" for name, kind, _ in surrogates(source)]
    return ", ".join(cols)
