"""What each stage read and wrote, as plain facts for lineage: no OpenLineage and no Airflow here.

The Airflow glue (``plugins/soepel_airflow/lineage.py``) turns these facts into OpenLineage datasets
and facets; this module only collects them, and only from what the stages already left behind:

* which tables a stage wrote and how many rows: the stage's own return value (the ingest's rows of
  ``_meta/loads``, the build's ``BuildResult.rows``, the report's written paths);
* the Great Expectations outcomes: the run's summary ``_meta/quality/runs/<run_id>.json``, which
  :class:`~soepel_etl.quality.runner.QualityRun` writes with the run;
* a table's columns: the Parquet footers of what was written (read through DuckDB, no rows read);
* what the report reads: :data:`soepel_etl.report.inputs.READS`, next to the code that reads it.

Nothing is computed again from the data. Names never hold an identifier: landing files are named
by their landing-relative path with :func:`~soepel_etl.privacy.mask_identifiers` applied (a sender
may put a BSN in a file name), the same masked name ``_meta/loads`` keeps.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .privacy import mask_identifiers
from .schema.sql import literal
from .quality.runner import QUALITY

# the suites that judge a table as a whole and are not named after it (quality/suites.py REGRESSIONS):
# the coverage and 'onbekend' checks are about the monthly statuses, the other two about outflows
REGRESSION_TABLES = {
    "regression_coverage": "core/person_month",
    "regression_onbekend": "core/person_month",
    "regression_final_figures": "marts/outflow_outcomes",
    "regression_outflows_per_cohort": "marts/outflow_outcomes",
}
_COLUMN = re.compile(r"\((?P<column>[^()]*)\)$")


@dataclass(frozen=True)
class Check:
    """One Great Expectations outcome: a whole suite (``expectation`` None) or one failed expectation."""
    suite: str
    success: bool
    expectation: str | None = None
    severity: str | None = None
    column: str | None = None


@dataclass
class Dataset:
    """A table (``staging/werk``, ``marts/outflow_outcomes``), a landing file or a written report."""
    kind: str                  # landing | warehouse | report
    name: str                  # landing-relative (masked), warehouse-relative, or the report's file name
    path: Path                 # absolute; for a landing file the masked path
    fields: list[tuple[str, str]] = field(default_factory=list)   # (column, type)
    rows: int | None = None
    checks: list[Check] = field(default_factory=list)


@dataclass
class StageLineage:
    inputs: list[Dataset] = field(default_factory=list)
    outputs: list[Dataset] = field(default_factory=list)


def table_fields(warehouse: Path, relpath: str) -> list[tuple[str, str]]:
    """The columns of a written table (a folder of Parquet parts, maybe hive-partitioned) or file."""
    target = Path(warehouse) / relpath
    if target.is_file():
        scan = f"read_parquet({literal(str(target))})"
    elif target.is_dir() and any(target.rglob("*.parquet")):
        scan = f"read_parquet({literal(str(target / '**' / '*.parquet'))}, hive_partitioning=true, union_by_name=true)"
    else:
        return []
    con = duckdb.connect()
    try:
        return [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    finally:
        con.close()


def quality_outcomes(warehouse: Path, run_id: str | None) -> list[dict]:
    """The suites a committed run validated (``_meta/quality/runs/<run_id>.json``); [] when none."""
    path = Path(warehouse) / QUALITY / "runs" / f"{run_id}.json"
    if not run_id or not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8")).get("suites", [])


def _checks(suites: list[dict], name: str, batch: str | None = None) -> list[Check]:
    """The outcome of suite ``name`` (for one file of it when ``batch``) and each expectation that failed.

    A suite in a multi-file run validates every file's profile at once: for one file only the
    failures that name it (or that no single file caused) count against it."""
    out = []
    for suite in (s for s in suites if s["suite"] == name):
        failures = [f for f in suite.get("failures", [])
                    if batch is None or not f.get("per_batch", True) or batch in f.get("batches", [])]
        out.append(Check(name, bool(suite["success"]) if batch is None else not failures))
        for f in failures:
            m = _COLUMN.search(f["expectation"])
            out.append(Check(name, False, f["expectation"], f.get("severity"), m["column"] if m else None))
    return out


def ingest_lineage(landing: Path, warehouse: Path, loads: list[dict]) -> StageLineage:
    """A batch's landing files → ``staging/<source>`` (and ``quarantine/<source>``).

    ``loads``: the batch's rows of ``_meta/loads`` (``run_id``, ``load_id``, masked ``path``, source,
    outcome, row counts), as the ingest task returns them."""
    lineage = StageLineage()
    outputs: dict[str, Dataset] = {}
    outcomes: dict = {}         # a batch of many files is one run: read its quality results once
    for r in loads:
        if r.get("run_id") not in outcomes:
            outcomes[r.get("run_id")] = quality_outcomes(warehouse, r.get("run_id"))
        suites = outcomes[r.get("run_id")]
        rel = mask_identifiers(r.get("path") or r["file_name"])
        lineage.inputs.append(Dataset("landing", rel, Path(landing) / rel, rows=int(r.get("rows_read") or 0),
                                      checks=_checks(suites, f"raw_{r['source']}", r["file_name"])))
        if r["outcome"] != "loaded" or not r["source"]:
            continue        # rejected or a duplicate: nothing of it was staged
        table = f"staging/{r['source']}"
        if table not in outputs:
            outputs[table] = Dataset(
                "warehouse", table, Path(warehouse) / table, rows=0,
                fields=table_fields(warehouse, f"{table}/{r['load_id']}.parquet") or table_fields(warehouse, table))
        staged = outputs[table]
        staged.rows += int(r.get("rows_loaded") or 0)
        staged.checks += _checks(suites, f"staged_{r['source']}", r["file_name"])
        if int(r.get("rows_quarantined") or 0):
            q = f"quarantine/{r['source']}"
            quarantined = outputs.setdefault(q, Dataset("warehouse", q, Path(warehouse) / q, rows=0))
            quarantined.rows += int(r["rows_quarantined"])
    lineage.outputs = list(outputs.values())
    return lineage


def _staged_rows(warehouse: Path) -> dict[str, int]:
    """Rows staged per source, from the current rows of ``_meta/loads``."""
    from .warehouse.loads import read_loads

    out: dict[str, int] = {}
    for r in read_loads(warehouse).to_pylist():
        if r["outcome"] == "loaded" and r["source"]:
            out[r["source"]] = out.get(r["source"], 0) + int(r["rows_loaded"] or 0)
    return out


def _suite_table(suite: str) -> str | None:
    for prefix, layer in (("core_", "core"), ("marts_", "marts"), ("staged_", "staging")):
        if suite.startswith(prefix):
            return f"{layer}/{suite[len(prefix):]}"
    return REGRESSION_TABLES.get(suite)


def build_lineage(warehouse: Path, run_id: str, rows: dict[str, int]) -> StageLineage:
    """``staging/*`` → every table the build wrote (``BuildResult.rows``: ``core/*``, ``marts/*``)."""
    lineage = StageLineage()
    for source, n in sorted(_staged_rows(warehouse).items()):
        table = f"staging/{source}"
        lineage.inputs.append(Dataset("warehouse", table, Path(warehouse) / table,
                                      fields=table_fields(warehouse, table), rows=n))
    suites = quality_outcomes(warehouse, run_id)
    for table, n in rows.items():
        checks = [c for s in sorted({s["suite"] for s in suites if _suite_table(s["suite"]) == table})
                  for c in _checks(suites, s)]
        lineage.outputs.append(Dataset("warehouse", table, Path(warehouse) / table,
                                       fields=table_fields(warehouse, table), rows=int(n), checks=checks))
    return lineage


def _last_build_rows(warehouse: Path) -> dict[str, int]:
    folder = Path(warehouse) / "_meta" / "builds"
    if not any(folder.glob("*.parquet")):
        return {}
    row = duckdb.sql(f"SELECT rows FROM read_parquet({literal(str(folder / '*.parquet'))}) "
                     "ORDER BY built_at DESC LIMIT 1").fetchall()
    return json.loads(row[0][0]) if row and row[0][0] else {}


def report_lineage(warehouse: Path, written: dict[str, str]) -> StageLineage:
    """The tables the report reads (with the row counts of the build that wrote them) → its files."""
    from .report.inputs import READS

    built = _last_build_rows(warehouse)
    inputs = [Dataset("warehouse", table, Path(warehouse) / table, fields=table_fields(warehouse, table),
                      rows=built.get(table)) for table in READS if (Path(warehouse) / table).exists()]
    outputs = [Dataset("report", Path(p).name, Path(p).resolve()) for _, p in sorted(written.items())]
    return StageLineage(inputs, outputs)
