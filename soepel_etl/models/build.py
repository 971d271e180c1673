"""Build core tables and marts from staging, in DuckDB, into a Transaction.

The SQL lives in one file per table (``core/*.sql``, ``marts/*.sql``), templated with ``${name}``
placeholders that this module fills from :mod:`soepel_etl.models.definitions` — so each rule has
one home — and from the run's coverage months and reference date.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

import duckdb

from .. import quality
from ..extracts.contracts import SOURCES
from ..extracts.staging import staging_ddl
from ..reference import reference_sql
from ..warehouse.transaction import Transaction
from . import definitions as d
from .current import current_sql, file_rank_sql

log = logging.getLogger(__name__)

CORE_TABLES = ("enrolments", "employment_months", "benefit_spells", "participants", "interventions", "persons",
               "person_month")
MART_TABLES = ("outflow_outcomes", "cohort_outcomes", "risk_monitor", "participants", "interventions")


@dataclass
class Coverage:
    employment_month: str | None        # latest periode in any valid werk row
    education_month: str | None         # month of the latest loaded onderwijs delivery

    @staticmethod
    def _index(month: str | None) -> int | None:
        return None if month is None else int(month[:4]) * 12 + int(month[5:7]) - 1

    @property
    def observed_until_index(self) -> int:
        """observed(m) ⇔ m <= both coverage months; nothing is observed without both."""
        e, o = self._index(self.employment_month), self._index(self.education_month)
        return -1 if e is None or o is None else min(e, o)

    @property
    def last_month_index(self) -> int:
        known = [i for i in (self._index(self.employment_month), self._index(self.education_month)) if i is not None]
        return max(known) if known else -1

    @property
    def reference_month(self) -> str | None:
        """The risk monitor's default R: the earlier of the two coverage months."""
        i = self.observed_until_index
        return None if i < 0 else f"{i // 12:04d}-{i % 12 + 1:02d}"


@dataclass
class BuildResult:
    coverage: Coverage
    reference_date: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    provisional_outflows: int | None = None


def _sql(layer: str, table: str) -> Template:
    return Template((resources.files("soepel_etl.models") / layer / f"{table}.sql").read_text(encoding="utf-8"))


def _staging_relation(con, tx: Transaction, source: str) -> None:
    # what earlier runs committed plus what this run staged (not yet committed)
    files = sorted(str(p) for base in (tx.root, tx.tmp) for p in (base / "staging" / source).glob("*.parquet"))
    con.execute(f"CREATE OR REPLACE TEMP TABLE stg_{source}_empty ({staging_ddl(SOURCES[source])})")
    if files:
        con.execute(f"CREATE OR REPLACE TEMP VIEW stg_{source} AS SELECT * FROM stg_{source}_empty UNION ALL BY NAME "
                    f"SELECT * FROM read_parquet({files!r}, union_by_name=true)")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW stg_{source} AS SELECT * FROM stg_{source}_empty")


def _reference_views(con, reference_dir: Path) -> None:
    # one row per code even if a user's reference file repeats one; empty fields mean "none"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ref_gemeenten AS
        SELECT upper(trim(gemeente_code)) AS gemeente_code, min(nullif(trim(rmc_regio_code), '')) AS rmc_regio_code
        FROM {reference_sql(reference_dir, 'gemeenten')} GROUP BY 1""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ref_instellingen AS
        SELECT upper(trim(brin)) AS brin, min(nullif(trim(pilot), '')) AS pilot
        FROM {reference_sql(reference_dir, 'instellingen')} GROUP BY 1""")


def coverage_of(con) -> Coverage:
    employment = con.execute("SELECT max(month) FROM stg_werk").fetchone()[0]
    education = con.execute("SELECT strftime(max(delivery_date), '%Y-%m') FROM loaded_onderwijs").fetchone()[0]
    return Coverage(employment, education)


def parameters(coverage: Coverage, reference_date: dt.date) -> dict[str, str]:
    mi, mt = d.month_index_sql, d.month_text_sql
    reference = coverage.reference_month or "0000-01"
    month_counts = ",\n           ".join(
        f"count(*) FILTER (WHERE status = '{s}') AS months_{s}_24" for s in d.STATUS_PRIORITY)
    month_count_columns = ", ".join(f"a.months_{s}_24" for s in
                                    ("werk", "onderwijs", "werkend_lerend", "uitkering", "geen", "onbekend"))
    unpivot = "\n    UNION ALL\n    ".join(
        f"SELECT cohort, pilot_code, niveau, leerweg, diploma, participation_type, {k} AS horizon, "
        f"status_{k} AS status, final_{k} AS is_final FROM marts_outflow_outcomes" for k in d.HORIZONS)
    quoted = lambda xs: ", ".join(f"'{x}'" for x in xs)  # noqa: E731
    return {
        "reference_date": reference_date.isoformat(),
        "last_month_index": str(coverage.last_month_index),
        "observed_until_index": str(coverage.observed_until_index),
        "enrolment_start_index": mi("enrolment_start"),
        "enrolment_end_index": mi("enrolment_end"),
        "benefit_start_index": mi("start_date"),
        "benefit_end_index": mi("end_date"),
        "employment_month_index": d.month_text_index_sql("month"),
        "first_month_text": mt("s.first_month_index"),
        "month_text": mt("m"),
        "status": d.status_sql("observed", "bbl", "enrolled", "employed", "benefit"),
        "outflow_month_index": mi("e.enrolment_end"),
        "outflow_month_text": mt("o.u"),
        "no_registration": d.NO_REGISTRATION,
        "window": str(d.WINDOW),
        "sustained_last": str(d.SUSTAINED_LAST),
        "sustained_min": str(d.SUSTAINED_MIN),
        "active_statuses": quoted(d.ACTIVE_STATUSES),
        "work_statuses": quoted(d.WORK_STATUSES),
        "month_counts": month_counts,
        "month_count_columns": month_count_columns,
        "unpivot_horizons": unpivot,
        "reference_month": reference,
        "reference_year": str(int(reference[:4])),
        "reference_month_number": str(int(reference[5:7])),
        "reference_index": str(int(reference[:4]) * 12 + int(reference[5:7]) - 1),
        "age_min": str(d.RISK_AGE_MIN), "age_max": str(d.RISK_AGE_MAX),
        "vsv_age_below": str(d.VSV_AGE_BELOW),
        "neet_months_min": str(d.NEET_MONTHS_MIN),
        "job_loss_lookback": str(d.JOB_LOSS_LOOKBACK),
        "status_without_timeline": d.status_sql("true", "false", "false", "coalesce(e.employed_at_r, false)",
                                                "b.person_key IS NOT NULL"),
        "risk_level": d.risk_level_sql("risk_score"),
        "werk_file_ranks": file_rank_sql("stg_werk"),
        "werk_person_id": d.person_id_sql("person_key"),
        "enrolment_person_id": d.person_id_sql("person_key"),
        "benefit_person_id": d.person_id_sql("person_key"),
        "persons_person_id": d.person_id_sql("r.person_key"),
        "outflow_person_id": d.person_id_sql("e.person_key"),
        **{f"current_{s}": current_sql(s, f"stg_{s}") for s in SOURCES},
    }


class PersonIdCollision(RuntimeError):
    """Two pseudonyms share the 60-bit surrogate the build joins on; the build refuses to merge them."""


def _check_person_ids(con) -> None:
    ids, keys = con.execute("SELECT count(DISTINCT person_id), count(*) FROM core_persons").fetchone()
    if ids != keys:
        raise PersonIdCollision(
            f"{keys - ids} person_key(s) share a 60-bit surrogate id; widen definitions.person_id_sql")


def connect(workdir: Path, memory_limit: str = "3GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    workdir.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                  "temp_directory": str(workdir / "duckdb_tmp"), "preserve_insertion_order": False})


def build(tx: Transaction, reference_dir: Path, reference_date: dt.date, loaded_onderwijs_dates: list[dt.date],
          memory_limit: str = "3GB") -> BuildResult:
    """Rebuild every core table and mart from staging into ``tx`` (replacing each table whole)."""
    con = connect(tx.tmp / "build", memory_limit)
    try:
        for source in SOURCES:
            _staging_relation(con, tx, source)
        con.execute("CREATE TEMP TABLE loaded_onderwijs (delivery_date DATE)")
        if loaded_onderwijs_dates:
            con.executemany("INSERT INTO loaded_onderwijs VALUES (?)", [(x,) for x in loaded_onderwijs_dates])
        _reference_views(con, reference_dir)
        coverage = coverage_of(con)
        params = parameters(coverage, reference_date)
        result = BuildResult(coverage, reference_date)
        for layer, tables in (("core", CORE_TABLES), ("marts", MART_TABLES)):
            for table in tables:
                started = time.perf_counter()
                query = _sql(layer, table).substitute(params)
                name = f"{layer}_{table}"
                if (layer, table) == ("core", "person_month"):
                    # the big one: written straight to Parquet; the marts read a narrow index of it
                    out = tx.replace_table(f"{layer}/{table}")
                    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet, COMPRESSION zstd, "
                                f"FILE_SIZE_BYTES '256MB', FILENAME_PATTERN 'part-{{i}}')")
                    con.execute(f"CREATE OR REPLACE TEMP VIEW person_month_index AS SELECT person_id, month_index, "
                                f"status, enrolled FROM read_parquet('{out}/*.parquet')")
                    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet('{out}/*.parquet')")
                    rows = con.execute("SELECT count(*) FROM person_month_index").fetchone()[0]
                else:
                    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
                    out = tx.replace_table(f"{layer}/{table}")
                    con.execute(f"COPY {name} TO '{out}/data.parquet' (FORMAT parquet, COMPRESSION zstd)")
                    rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                if (layer, table) == ("core", "persons"):
                    _check_person_ids(con)
                result.rows[f"{layer}/{table}"] = int(rows)
                result.seconds[f"{layer}/{table}"] = round(time.perf_counter() - started, 2)
                log.info("built %s/%s: %d rows in %.1fs", layer, table, rows, result.seconds[f"{layer}/{table}"])
        result.provisional_outflows = con.execute(
            "SELECT count(*) FILTER (WHERE NOT final_24) FROM marts_outflow_outcomes").fetchone()[0]
        quality.check_build(tx, con, CORE_TABLES, MART_TABLES)   # critical → raises, the run rolls back
        return result
    finally:
        con.close()
