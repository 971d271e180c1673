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
from dataclasses import dataclass, field

import pyarrow.parquet as pq

from ..schema.contracts import Source
from ..schema.profiles import BATCH_COLUMN, RAW_IDENTIFYING, range_columns, reason_columns
from ..schema.rules import month_index_sql, month_text_index_sql
from ..schema.sql import parquet
from ..schema.staging import staging_ddl


@dataclass
class CheckedCounts:
    """What one scan of ingest's ``checked`` tells of one file: its outcome counts (for ``_meta/loads``)
    and the raw profile's inputs; ``reasons`` counts each reason over the quarantined rows."""
    rows: int = 0
    duplicates: int = 0
    quarantined: int = 0
    loaded: int = 0
    valid_ids: int = 0
    ranges: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)


def checked_counts(con, source: Source, file_nos: list[int]) -> dict[int, CheckedCounts]:
    """Counts of ``checked`` per file of the batch: one grouped scan of every row, one of the
    quarantined rows' reasons. A file none of whose rows could be split has no rows here: zeros."""
    extra = []
    for name in range_columns(source):
        p = f"p_{name}"
        if source.column(name).kind == "month":
            year, index = f"CAST(substr({p}, 1, 4) AS INTEGER)", month_text_index_sql(p)
        else:
            year, index = f"year({p})", month_index_sql(p)
        extra.append(f"min({year}) FILTER (WHERE good) AS earliest_year_{name}")
        extra.append(f"max({index}) FILTER (WHERE good) - any_value({month_index_sql('delivery_date')}) "
                     f"AS latest_months_after_delivery_{name}")
    cursor = con.execute(f"""
        SELECT file_no, count(*) AS n,
               count(*) FILTER (WHERE is_duplicate) AS duplicates,
               count(*) FILTER (WHERE NOT is_duplicate AND NOT good) AS quarantined,
               count(*) FILTER (WHERE good) AS loaded,
               count(*) FILTER (WHERE id_type IS NOT NULL) AS valid_ids
               {''.join(', ' + e for e in extra)}
        FROM (SELECT file_no, delivery_date, is_duplicate, id_type,
                     {''.join(f'p_{n}, ' for n in range_columns(source))}
                     NOT is_duplicate AND len(reasons) = 0 AS good FROM checked)
        GROUP BY file_no
    """)
    names = [d[0] for d in cursor.description]
    empty = {f"{kind}_{name}": None for name in range_columns(source)
             for kind in ("earliest_year", "latest_months_after_delivery")}
    out = {n: CheckedCounts(ranges=dict(empty)) for n in file_nos}
    for values in cursor.fetchall():
        row = dict(zip(names, values))
        out[row.pop("file_no")] = CheckedCounts(
            *(int(row.pop(k)) for k in ("n", "duplicates", "quarantined", "loaded", "valid_ids")), ranges=row)
    if any(c.quarantined for c in out.values()):
        for file_no, reason, n in con.execute(
                "SELECT file_no, r, count(*) FROM (SELECT file_no, unnest(reasons) AS r FROM checked "
                "WHERE NOT is_duplicate AND len(reasons) > 0) GROUP BY ALL").fetchall():
            out[file_no].reasons[reason] = n
    return out


def raw_profile(counts: CheckedCounts, source: Source, present: set[str], file_name: str,
                delivery_date: dt.date, previous_rows: int | None) -> dict:
    """One row describing a delivered file, from the counts of ingest's ``checked``."""
    n = counts.rows or 1
    considered = max(counts.rows - counts.duplicates, 1)
    known = {c.name for c in source.columns}
    out = {
        BATCH_COLUMN: file_name,
        "rows_read": counts.rows,
        "rows_loaded": counts.loaded,
        "rows_vs_previous": (counts.rows / previous_rows) if previous_rows else None,
        "extra_columns": len([c for c in present if c not in known]),
        "duplicate_rate": counts.duplicates / n,
        "quarantine_rate": counts.quarantined / considered,
        "valid_identifier_rate": counts.valid_ids / n,
    }
    for reason, (column, _) in reason_columns(source).items():
        out[column] = counts.reasons.get(reason, 0) / considered
    for name in range_columns(source):
        for col in (f"earliest_year_{name}", f"latest_months_after_delivery_{name}"):
            value = counts.ranges[col]
            out[col] = None if value is None else int(value)
    return out


def staged_profiles(con, source: Source, files: list[tuple[str, str]]) -> dict[str, dict]:
    """One row per staged Parquet file ((path, file name) in ``files``) describing what really reached
    the warehouse; the counts for all files in one grouped scan of the files themselves."""
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
    paths = [path for path, _ in files]
    # union_by_name: a file that lost a column still counts (the missing column is reported below)
    cursor = con.execute(f"SELECT filename, {', '.join(checks)} FROM "
                         f"{parquet(paths, filename='true', union_by_name='true')} GROUP BY filename")
    names = [d[0] for d in cursor.description]
    counted = {row[0]: dict(zip(names[1:], row[1:])) for row in cursor.fetchall()}
    out = {}
    for path, file_name in files:
        cols = pq.read_schema(path).names
        row = dict(counted.get(path) or {n: 0 for n in names[1:]})
        rows = int(row.pop("rows"))
        distinct = int(row.pop("distinct_hashes"))
        if distinct < rows:
            distinct = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(key)} "
                                   f"FROM {parquet(path)})").fetchone()[0]
        forbidden = [c for c in cols if c.lower() in RAW_IDENTIFYING or c.lower().startswith(("v_", "n_", "p_"))]
        out[file_name] = {
            BATCH_COLUMN: file_name, "rows": rows, "duplicate_keys": rows - int(distinct),
            "raw_identifier_columns": len(forbidden),
            "unexpected_columns": len([c for c in cols if c not in expected and c not in forbidden]),
            "missing_columns": len([c for c in expected if c not in cols]),
            **{k: int(v) for k, v in row.items()},
        }
    return out
