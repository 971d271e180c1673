"""Current versions of records, and consent: the two rules both ingest and the build need.

- The later ``delivery_date`` wins for a record key; on equal dates the file name that sorts last
  wins (extracts.md). A file redelivered under the same name is ordered by its load id.
- A withdrawn enrolment (``mutation`` = ``V``) does not exist (definitions.md).
- Consent is valid at the reference date when given (``J``), dated on or before it, and not
  withdrawn on or before it (definitions.md, "Consent and purpose").
"""

from __future__ import annotations

import datetime as dt

RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "onderwijs": ("brin", "enrolment_id"),
    "werk": ("person_key", "employer_key", "month"),
    "uitkeringen": ("person_key", "benefit_type", "start_date"),
    "deelnemers": ("person_key", "pilot_code"),
    "interventies": ("person_key", "pilot_code", "intervention", "start_date"),
}


PRECEDENCE = "delivery_date, file_name, load_id"   # ascending: the last one wins


def file_rank_sql(relation: str) -> str:
    """Each staged file's precedence as an integer (higher wins), for fast arg_max over big sources."""
    return (f"SELECT load_id, CAST(row_number() OVER (ORDER BY {PRECEDENCE}) AS INTEGER) AS file_rank "
            f"FROM (SELECT DISTINCT load_id, delivery_date, file_name FROM {relation})")


def current_sql(source: str, relation: str) -> str:
    """SELECT of the current version of every record of ``source`` in ``relation`` (staging rows)."""
    key = ", ".join(RECORD_KEYS[source])
    query = (
        f"SELECT * FROM {relation} QUALIFY row_number() OVER "
        f"(PARTITION BY {key} ORDER BY {', '.join(c + ' DESC' for c in PRECEDENCE.split(', '))}) = 1"
    )
    if source == "onderwijs":
        query = f"SELECT * FROM ({query}) WHERE mutation IS DISTINCT FROM 'V'"
    return query


def consent_valid_sql(reference_date: str, consent: str = "consent", consent_date: str = "consent_date",
                      withdrawn_date: str = "consent_withdrawn_date") -> str:
    """SQL boolean over a participant row: consent valid at ``reference_date`` (a SQL date
    expression). Never NULL: a row without consent data has no valid consent."""
    return (f"coalesce({consent} AND {consent_date} <= {reference_date} "
            f"AND ({withdrawn_date} IS NULL OR {withdrawn_date} > {reference_date}), false)")


def valid_consent_sql(deelnemers_current: str, reference_date: dt.date) -> str:
    """SELECT person_key, pilot_code, participation_type of participants with valid consent."""
    valid = consent_valid_sql(f"DATE '{reference_date.isoformat()}'")
    return f"SELECT person_key, pilot_code, participation_type FROM {deelnemers_current} WHERE {valid}"
