"""Projections of checked rows: what goes to staging (pseudonymised, coarsened) and to quarantine
(masked). Raw identifiers stop here: neither projection carries a BSN, an onderwijsnummer, a full
birth date, a full postcode or an employer number.
"""

from __future__ import annotations

from ..identity.pseudonyms import hmac_sql
from ..schema.contracts import Column, Source
from ..schema.rules import surrogate_id_sql
from ..schema.staging import surrogates


def _staged_value(c: Column) -> str:
    p = f"p_{c.name}"
    if c.name == "geboortedatum":
        return f"strftime({p}, '%Y-%m')"
    if c.name == "postcode":
        return f"substr(v_{c.name}, 1, 4)"
    if c.name == "werkgever":
        return "employer_keys.employer_no"   # see staging_from and batch.StagedShape
    if c.name in ("diploma", "toestemming"):
        return f"({p} = 'J')"
    if c.name in ("woongemeente", "brin"):
        return f"upper({p})"
    if c.kind == "integer":
        return f"CAST({p} AS INTEGER)"
    return p


def has_employer(source: Source) -> bool:
    return any(c.name == "werkgever" for c in source.columns)


def staging_select(source: Source) -> str:
    """SELECT list for the good rows of ``checked``: staging's columns after the lineage, with each
    pseudonym as its number in ``person_keys`` / ``employer_keys`` (``person_no``, ``employer_no``).

    Sorting a batch by person moves every column of every row, and the two 64-character pseudonyms
    and the lineage strings were most of those bytes; the sort carries small integers instead, and
    the writer puts the pseudonyms and the file's lineage in (:class:`.batch.StagedShape`)."""
    cols = [
        "CAST(line_number AS BIGINT) AS line_number",
        "person_keys.person_no AS person_no",   # see staging_from: hashed once per distinct identifier
        "id_type AS identifier_type",
    ]
    for c in source.columns:
        if c.kind != "identifier":
            name = "employer_no" if c.name == "werkgever" else c.staged_as
            cols.append(f"{_staged_value(c)} AS {name}")
    return ",\n  ".join(cols)


def staged_batch_query(source: Source, select: str, from_clause: str) -> str:
    """The batch's staged rows with their surrogates, each with its ``file_no``. The pseudonyms'
    surrogates come with them from ``person_keys`` / ``employer_keys`` (computed once per value)."""
    extra = ", ".join(f"{expr} AS {name}" for name, _, expr in surrogates(source)
                      if name not in ("person_id", "employer_id"))
    keyed = "person_keys.person_id" + (", employer_keys.employer_id" if has_employer(source) else "")
    inner = f"SELECT file_no, {select}, {keyed} {from_clause}"
    return f"SELECT *, {extra} FROM ({inner})" if extra else inner


def staging_from(source: Source) -> list[str]:
    """Statements to run before the staging SELECT (they need the HMAC pads ``$ipad``/``$opad``),
    and its FROM clause (last element).

    The HMAC is two SHA-256 calls, the costliest thing done per row; a person has many rows in a
    file (one per month in ``werk``) and a file names few employers many times, so pseudonyms are
    computed once per distinct value and joined back.
    """
    good = "NOT is_duplicate AND len(reasons) = 0"
    statements = [_keys_table("person_keys", "id_type, id_value", "id_type || ':' || id_value", "person", good)]
    joins = "JOIN person_keys USING (id_type, id_value)"
    if has_employer(source):
        statements.append(_keys_table("employer_keys", "v_werkgever", "'werkgever:' || v_werkgever", "employer", good))
        joins += " JOIN employer_keys USING (v_werkgever)"
    return statements + [f"FROM checked {joins} WHERE {good}"]


def _keys_table(table: str, values: str, message: str, kind: str, good: str) -> str:
    """``<table>``: per distinct ``values`` of the good rows, the pseudonym ``<kind>_key`` (HMAC of
    ``message``), its surrogate ``<kind>_id``, and ``<kind>_no``, which numbers the keys in the order
    the writer reads them back (batch.StagedShape)."""
    key = f"{kind}_key"
    return (f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, {surrogate_id_sql(key)} AS {kind}_id, "
            f"CAST(row_number() OVER (ORDER BY {key}) - 1 AS INTEGER) AS {kind}_no FROM "
            f"(SELECT {values}, {hmac_sql(message)} AS {key} "
            f"FROM (SELECT DISTINCT {values} FROM checked WHERE {good}))")


def _masked(c: Column) -> str:
    v = f"v_{c.name}"
    if c.kind == "identifier" or c.name == "werkgever":
        return f"CASE WHEN {v} IS NOT NULL THEN repeat('*', greatest(length({v}) - 3, 0)) || right({v}, 3) END"
    if c.name == "geboortedatum":
        # a parsed birth date keeps its month; anything else keeps only its shape
        return f"coalesce(strftime(p_{c.name}, '%Y-%m'), regexp_replace({v}, '[0-9]', '*', 'g'))"
    if c.name == "postcode":
        return (f"CASE WHEN regexp_full_match({v}, '[0-9]{{4}}.*') THEN substr({v}, 1, 4) "
                f"ELSE regexp_replace({v}, '[0-9]', '*', 'g') END")
    return v


def quarantine_select(source: Source) -> str:
    """SELECT list for the quarantined rows of ``checked`` joined to the batch's files; needs ``$source``."""
    cols = [
        "file_no", "load_id", "file_name", "$source AS source",
        "CAST(line_number AS BIGINT) AS line_number", "reasons", "array_to_string(reasons, '; ') AS reason",
    ]
    cols += [f"{_masked(c)} AS {c.name}" for c in source.columns]
    return ",\n  ".join(cols)
