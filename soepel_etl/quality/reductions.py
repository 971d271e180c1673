"""Reductions: what GX gets to see, computed in DuckDB.

GX 1.24 has no DuckDB data source and cannot be handed millions of rows through pandas in time, so
every suite validates a small DataFrame that keeps the meaning of its expectations exactly:

* raw (per delivered file, from ingest's ``checked``): counts and rates of the row rules, the share
  of valid identifiers, the earliest year and the latest month (relative to the delivery) of every
  date column but the birth date, extra columns, and rows against the sender's previous delivery;
* staged (per staged Parquet file): rows vs. distinct record keys, malformed pseudonyms, columns
  that must not be there, un-coarsened fields — counts only;
* core and marts: counts of the few violations still checked (person_month: per month, rows vs.
  persons whose timeline includes it; outflow_outcomes: distinct (final_24, months_onbekend_24)
  with their frequency, and duplicate outflows);
* between builds (``regressions.py``): the new build against the committed one.

No DataFrame here holds an identifier, a pseudonym, a birth date or a postcode.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..schema.contracts import PILOT_CODES, SOURCES, Source
from ..schema.staging import staging_ddl
from ..schema import rules as d
from .policy import BATCH_COLUMN
from .suites import range_columns, reason_columns

# delivered names of identifying columns, and the parsed copies ingest keeps beside them
RAW_IDENTIFYING = {"bsn", "onderwijsnummer", "geboortedatum", "postcode", "werkgever", "id_value"}


def _month_index(expr: str) -> str:
    return f"(year({expr}) * 12 + month({expr}) - 1)"


def raw_profile(con, source: Source, present: set[str], file_name: str, delivery_date: dt.date,
                previous_rows: int | None) -> dict:
    """One row describing a delivered file, from ingest's ``checked`` (one scan + one over bad rows)."""
    dates = range_columns(source)
    delivery_index = delivery_date.year * 12 + delivery_date.month - 1
    extra = []
    for name in dates:
        kind = source.column(name).kind
        p = f"p_{name}"
        if kind == "month":
            year = f"CAST(substr({p}, 1, 4) AS INTEGER)"
            index = f"({year} * 12 + CAST(substr({p}, 6, 2) AS INTEGER) - 1)"
        else:
            year, index = f"year({p})", _month_index(p)
        extra.append(f"min({year}) FILTER (WHERE good) AS earliest_year_{name}")
        extra.append(f"max({index}) FILTER (WHERE good) - {delivery_index} AS latest_months_after_delivery_{name}")
    row = con.execute(f"""
        SELECT count(*) AS n,
               count(*) FILTER (WHERE is_duplicate) AS duplicates,
               count(*) FILTER (WHERE NOT is_duplicate AND NOT good) AS quarantined,
               count(*) FILTER (WHERE good) AS loaded,
               count(*) FILTER (WHERE id_type IS NOT NULL) AS valid_ids
               {''.join(', ' + e for e in extra)}
        FROM (SELECT *, NOT is_duplicate AND len(reasons) = 0 AS good FROM checked)
    """).fetchdf().iloc[0].to_dict()
    reasons = dict(con.execute(
        "SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM checked WHERE NOT is_duplicate "
        "AND len(reasons) > 0) GROUP BY r").fetchall())
    n = int(row["n"]) or 1
    considered = max(int(row["n"]) - int(row["duplicates"]), 1)
    known = {c.name for c in source.columns}
    out = {
        BATCH_COLUMN: file_name,
        "rows_read": int(row["n"]),
        "rows_loaded": int(row["loaded"]),
        "rows_vs_previous": (int(row["n"]) / previous_rows) if previous_rows else None,
        "extra_columns": len([c for c in present if c not in known]),
        "duplicate_rate": int(row["duplicates"]) / n,
        "quarantine_rate": int(row["quarantined"]) / considered,
        "valid_identifier_rate": int(row["valid_ids"]) / n,
    }
    for reason, (column, _) in reason_columns(source).items():
        out[column] = reasons.get(reason, 0) / considered
    for name in dates:
        for col in (f"earliest_year_{name}", f"latest_months_after_delivery_{name}"):
            value = row[col]
            out[col] = None if pd.isna(value) else int(value)
    return out


def staged_profile(con, source: Source, path: str, file_name: str) -> dict:
    """One row describing a staged Parquet file (what really reached the warehouse)."""
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
    expected = [c.split()[0] for c in staging_ddl(source).split(", ")]
    key = [("person_key" if k == "identifier" else source.column(k).staged_as) for k in source.record_key]
    checks = [
        "count(*) AS rows",
        # hashes narrow the count; a collision can only make it look *less* unique (then counted exactly)
        f"count(DISTINCT hash({', '.join(key)})) AS distinct_hashes",
        "count(*) FILTER (WHERE person_key IS NULL OR length(person_key) <> 64) AS bad_person_keys",
        "count(*) FILTER (WHERE identifier_type IS NULL OR identifier_type NOT IN ('bsn', 'onderwijsnummer')) "
        "AS bad_identifier_types",
    ]
    if source.name == "onderwijs":
        checks.append("count(*) FILTER (WHERE NOT regexp_full_match(birth_month, '[0-9]{4}-[0-9]{2}')) "
                      "AS bad_birth_months")
        checks.append("count(*) FILTER (WHERE NOT regexp_full_match(postcode4, '[0-9]{4}')) AS bad_postcodes")
    if source.name == "werk":
        checks.append("count(*) FILTER (WHERE employer_key IS NULL OR length(employer_key) <> 64) "
                      "AS bad_employer_keys")
    row = con.execute(f"SELECT {', '.join(checks)} FROM read_parquet('{path}')").fetchdf().iloc[0].to_dict()
    rows = int(row.pop("rows"))
    distinct = int(row.pop("distinct_hashes"))
    if distinct < rows:
        distinct = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(key)} "
                               f"FROM read_parquet('{path}'))").fetchone()[0]
    forbidden = [c for c in cols if c.lower() in RAW_IDENTIFYING or c.lower().startswith(("v_", "n_", "p_"))]
    return {
        BATCH_COLUMN: file_name, "rows": rows, "duplicate_keys": rows - int(distinct),
        "raw_identifier_columns": len(forbidden),
        "unexpected_columns": len([c for c in cols if c not in expected and c not in forbidden]),
        "missing_columns": len([c for c in expected if c not in cols]),
        **{k: int(v) for k, v in row.items()},
    }


# -- core and marts: ``con`` is the build's connection, with core_<table>, marts_<table> ----------
def _counts(con, table: str, extra: dict[str, str]) -> pd.DataFrame:
    counts = "".join(f", count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in extra.items())
    df = con.execute(f"SELECT count(*) AS rows {counts} FROM {table}").fetchdf()
    df.insert(0, BATCH_COLUMN, table.replace("_", "/", 1))
    return df


def _without_consent(table: str) -> str:
    return ("NOT EXISTS (SELECT 1 FROM core_participants p WHERE p.consent_valid "
            f"AND p.person_key = {table}.person_key AND p.pilot_code = {table}.pilot_code)")


def core_profile_sql(table: str, relation: str) -> str | None:
    """The per-person core tables are built range by range; their reduction is summed over ranges.

    person_month: rows and 'onbekend' rows per month (the second feeds the between-builds check)."""
    if table == "person_month":
        return f"""
            SELECT month_index, count(*) AS rows,
                   count(*) FILTER (WHERE status_code = {d.STATUS_PRIORITY.index('onbekend')}) AS onbekend
            FROM {relation} GROUP BY month_index"""
    return None


def core_frame(con, table: str) -> pd.DataFrame | None:
    """The reduction of ``core_<table>`` its suite checks (None: the table has no suite)."""
    if table == "person_month":
        # persons whose timeline (first enrolment month … last month) includes the month, counted
        # from core/persons, against the rows person_month has for that month
        df = con.execute("""
            WITH starts AS (
                SELECT first_month_index AS month_index, count(*) AS n FROM core_persons
                WHERE first_month_index <= getvariable('last_month_index') GROUP BY ALL
            ), rows AS (
                SELECT month_index, sum(rows) AS rows FROM person_month_profile GROUP BY month_index
            ), months AS (
                SELECT month_index FROM rows UNION SELECT month_index FROM starts
            )
            SELECT m.month_index, coalesce(r.rows, 0) AS rows,
                   sum(coalesce(s.n, 0)) OVER (ORDER BY m.month_index) AS persons
            FROM months AS m LEFT JOIN rows AS r USING (month_index) LEFT JOIN starts AS s USING (month_index)
            ORDER BY m.month_index""").fetchdf()
        df.insert(0, BATCH_COLUMN, "core/person_month")
        return df
    pilots = ", ".join(f"'{p}'" for p in (*PILOT_CODES, d.NO_CODE))
    checks = {
        "enrolments": {"unknown_pilots": f"pilot_code NOT IN ({pilots})"},
        "persons": {"bad_birth_months": "NOT regexp_full_match(birth_month, '[0-9]{4}-[0-9]{2}')"},
        "interventions": {"without_valid_consent": _without_consent("core_interventions")},
    }.get(table)
    return None if checks is None else _counts(con, f"core_{table}", checks)


def mart_frame(con, table: str) -> pd.DataFrame | None:
    """The reduction of ``marts_<table>`` its suite checks (None: the mart has no suite)."""
    if table == "outflow_outcomes":
        df = con.execute("""
            WITH dup AS (SELECT count(*) - count(DISTINCT (brin, enrolment_id)) AS n FROM marts_outflow_outcomes)
            SELECT final_24, months_onbekend_24, (SELECT n FROM dup) AS duplicate_outflows, count(*) AS n
            FROM marts_outflow_outcomes GROUP BY ALL""").fetchdf()
    elif table == "risk_monitor":
        df = con.execute("SELECT count(*) AS rows, count(*) - count(DISTINCT person_key) AS duplicate_persons "
                         "FROM marts_risk_monitor").fetchdf()
    elif table in ("participants", "interventions"):
        return _counts(con, f"marts_{table}", {"without_valid_consent": _without_consent(f"marts_{table}")})
    else:
        return None
    df.insert(0, BATCH_COLUMN, f"marts/{table}")
    return df
