"""Result-format policy and severities: what GX may write, and what a failed expectation does.

Privacy (definitions.md, "No report, log line, validation result ... ever shows a BSN ..."):
GX copies failing *values* into results and Data Docs unless told not to. Two defences:

1. GX is only ever handed reductions computed in DuckDB (see ``reductions.py``): counts, rates,
   years, month offsets, column names and file/table names. No identifier, birth date, postcode,
   pseudonym or secret is in any DataFrame GX sees.
2. The result format never carries values: ``exclude_unexpected_values`` drops the unexpected-value
   lists, ``partial_unexpected_count`` 0, no unexpected rows and no index queries. The only thing
   reported per failing row is the ``batch`` column (a delivered file's name, or a table name), so
   the message can name the file that broke a rule.
"""

from __future__ import annotations

import os

from ..schema.profiles import BATCH_COLUMN  # noqa: F401  (every reduction names its file or table in it)

CRITICAL = "critical"   # stops the stage: the run fails, the warehouse stays as it was
WARNING = "warning"     # recorded in the results and the run summary; the run goes on
SEVERITIES = (CRITICAL, WARNING)

RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [BATCH_COLUMN],
    "exclude_unexpected_values": True,
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}

WAIVE_ENV = "SOEPEL_QUALITY_WAIVE"


def severity_of(meta: dict | None) -> str:
    value = (meta or {}).get("severity", CRITICAL)
    if value not in SEVERITIES:
        raise ValueError(f"unknown severity {value!r}: use one of {SEVERITIES}")
    return value


def waived_batches(environ=None) -> set[str]:
    """Files or tables whose critical failures an engineer has accepted for one run (recorded as waived).

    ``SOEPEL_QUALITY_WAIVE=werk_GM0363_20200601.csv,marts/cohort_outcomes`` — a way forward when a
    delivery is known to be right although it breaks a critical rule (e.g. a sender truly shrank).
    """
    environ = os.environ if environ is None else environ
    return {x.strip() for x in environ.get(WAIVE_ENV, "").split(",") if x.strip()}
