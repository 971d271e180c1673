"""Reductions: what GX gets to see, computed in DuckDB.

GX 1.24 has no DuckDB data source and cannot be handed millions of rows through pandas in time, so
every suite validates a small DataFrame that keeps the meaning of its expectations exactly:

* raw and staged (per delivered file): computed by ingest while the file is at hand
  (``soepel_etl/extracts/profiles.py``) and handed to the quality run as :class:`FileProfile` rows;
* core and marts: counts of the few violations still checked (person_month: per month, rows vs.
  persons whose timeline includes it; outflow_outcomes: distinct (final_24, months_onbekend_24)
  with their frequency, and duplicate outflows);
* between builds (``regressions.py``): the new build against the committed one.

No DataFrame here holds an identifier, a pseudonym, a birth date or a postcode.
"""

from __future__ import annotations

import pandas as pd

from ..schema.contracts import PILOT_CODES
from ..schema import rules as d
from ..schema.profiles import BATCH_COLUMN


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
                WHERE first_month_index <= last_month_index() GROUP BY ALL
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
    elif table == "outflow_work":
        df = con.execute("""
            SELECT count(*) AS rows, (SELECT count(*) FROM marts_outflow_outcomes) AS outflows,
                   count(*) - count(DISTINCT (brin, inschrijving_id)) AS duplicate_outflows,
                   count(*) FILTER (WHERE employed_12 AND hours_12 <= 0 OR employed_24 AND hours_24 <= 0)
                       AS employed_without_hours
            FROM marts_outflow_work""").fetchdf()
    elif table in ("participants", "interventions"):
        return _counts(con, f"marts_{table}", {"without_valid_consent": _without_consent(f"marts_{table}")})
    else:
        return None
    df.insert(0, BATCH_COLUMN, f"marts/{table}")
    return df
