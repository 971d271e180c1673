"""The two reductions ingest hands to the quality checks, computed in DuckDB while the file is at hand.

* raw (per delivered file, from ingest's ``checked``): counts and rates of the row rules, the share
  of valid identifiers, the earliest year and the latest month (relative to the delivery) of every
  date column but the birth date, extra columns, and rows against the sender's previous delivery;
* staged (per staged Parquet file): rows vs. distinct record keys, malformed pseudonyms, columns
  that must not be there, un-coarsened fields — counts only.

The columns are those :mod:`soepel_etl.schema.profiles` names; the quality layer's ``raw_<source>``
and ``staged_<source>`` suites validate them (docs/quality.md).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..schema.contracts import Source
from ..schema.profiles import BATCH_COLUMN, RAW_IDENTIFYING, range_columns, reason_columns
from ..schema.rules import month_index, month_index_sql, month_text_index_sql
from ..schema.staging import staging_ddl


def raw_profile(con, source: Source, present: set[str], file_name: str, delivery_date: dt.date,
                previous_rows: int | None) -> dict:
    """One row describing a delivered file, from ingest's ``checked`` (one scan + one over bad rows)."""
    dates = range_columns(source)
    delivery_index = month_index(delivery_date)
    extra = []
    for name in dates:
        kind = source.column(name).kind
        p = f"p_{name}"
        if kind == "month":
            year, index = f"CAST(substr({p}, 1, 4) AS INTEGER)", month_text_index_sql(p)
        else:
            year, index = f"year({p})", month_index_sql(p)
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
