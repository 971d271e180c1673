"""Build core tables and marts from staging, in DuckDB, into a Transaction.

The models are SQL files, one per table (``core/*.sql``, ``marts/*.sql``), each naming its inputs
(:mod:`.catalog`); :mod:`.runner` runs them in that order. This module prepares what they read:
the staged sources (``stg_<source>``, ``current_<source>``, ``stg_werk_ranked``), the reference
files, the coverage months, and the rules and the build's values as DuckDB macros
(:mod:`soepel_etl.schema.macros`).

The per-person models only ever relate rows of one person, so they are built for one range of
``person_id`` at a time and written part by part: memory stays bounded by the size of a range, not
of the country (docs/data-dictionary.md, "How the build scales").
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from ..reference import FILES as REFERENCE_FILES, reference_sql, region_of_sql
from ..schema import rules as d
from ..schema.contracts import SOURCES
from ..schema.macros import build_macros, person_range_macro, rule_macros
from ..schema.sql import parquet
from ..schema.staging import staging_ddl, surrogates
from ..schema.versions import current_sql, file_rank_sql
from ..settings import PERSON_MONTHS_PER_RANGE
from ..warehouse.transaction import Transaction
from .coverage import employment_coverage_month, holds_back, sender_coverage
from .runner import BuildObserver, PersonIdCollision, Runner  # noqa: F401 (PersonIdCollision: callers catch it)

log = logging.getLogger(__name__)

ID_SPACE = 1 << 60                # person_id is a 60-bit prefix of the pseudonym: uniform over this


@dataclass
class Coverage:
    employment_month: str | None        # earliest coverage among the active werk senders (models/coverage.py)
    education_month: str | None         # month of the latest loaded onderwijs delivery
    # every werk sender with its own coverage and activity (extracts.werk_senders.WerkSender), stored
    # beside the build record (_meta/coverage) for the run summary and the report
    senders: list = field(default_factory=list)

    @property
    def missing_senders(self) -> list:
        """Inactive senders: they no longer hold the employment month back and are named as missing."""
        return [s for s in self.senders if not s.active]

    @property
    def holding_back(self) -> list:
        """The active sender(s) whose coverage is the employment coverage month."""
        return [s for s in self.senders if holds_back(s, self.employment_month)]

    @property
    def observed_until_index(self) -> int:
        """observed(m) ⇔ m <= both coverage months; nothing is observed without both."""
        e, o = d.optional_month_index(self.employment_month), d.optional_month_index(self.education_month)
        return -1 if e is None or o is None else min(e, o)

    @property
    def last_month_index(self) -> int:
        known = [i for i in (d.optional_month_index(self.employment_month),
                             d.optional_month_index(self.education_month)) if i is not None]
        return max(known) if known else -1

    @property
    def reference_month(self) -> str | None:
        """The risk monitor's default R: the earlier of the two coverage months."""
        i = self.observed_until_index
        return None if i < 0 else d.month_text(i)


@dataclass
class BuildResult:
    coverage: Coverage
    reference_date: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    provisional_outflows: int | None = None
    person_ranges: int = 1


def _staged_files(tx: Transaction, source: str) -> list[str]:
    # what earlier runs committed plus what this run staged (not yet committed)
    return sorted(str(p) for base in (tx.root, tx.tmp) for p in (base / "staging" / source).glob("*.parquet"))


def _with_surrogates(source: str, relation: str) -> str:
    """Staging written before the integer surrogates existed gets them computed here (slower, same values)."""
    fills = ", ".join(f"coalesce({name}, {expr}) AS {name}" for name, _, expr in surrogates(SOURCES[source]))
    return f"SELECT * REPLACE ({fills}) FROM {relation}"


def _staging_relation(con, tx: Transaction, source: str) -> None:
    files = _staged_files(tx, source)
    con.execute(f"CREATE OR REPLACE TEMP TABLE stg_{source}_empty ({staging_ddl(SOURCES[source])})")
    relation = f"stg_{source}_empty"
    if files:
        relation = (f"(SELECT * FROM stg_{source}_empty UNION ALL BY NAME "
                    f"SELECT * FROM {parquet(files, union_by_name='true')})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW stg_{source} AS {_with_surrogates(source, relation)}")


def _werk_ranked(con, tx: Transaction) -> None:
    """``stg_werk_ranked``: the werk columns the build needs, each file's precedence as a constant.

    One scan per staged file with its rank spelled out, so the biggest source is never joined on
    a string to find out which delivery a row came from; a filter on person_id reaches every
    file's row-group statistics (staging werk is sorted by person).
    """
    con.execute("CREATE OR REPLACE TEMP TABLE werk_files (path VARCHAR, load_id VARCHAR, delivery_date DATE, "
                "file_name VARCHAR, has_surrogates BOOLEAN)")
    for path in _staged_files(tx, "werk"):
        names = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {parquet(path)}").fetchall()}
        first = con.execute(f"SELECT load_id, delivery_date, file_name FROM {parquet(path)} LIMIT 1").fetchone()
        if first is not None:
            con.execute("INSERT INTO werk_files VALUES (?, ?, ?, ?, ?)",
                        [path, *first, {"person_id", "employer_id", "month_index"} <= names])
    ranks = dict(con.execute(f"SELECT f.path, r.file_rank FROM werk_files AS f JOIN ({file_rank_sql('werk_files')}) "
                             f"AS r USING (load_id)").fetchall())
    columns = "person_id, employer_id, month_index, hours, sv_wage, employer_key, contract_type, sbi"
    parts = [f"SELECT {columns}, CAST(NULL AS INTEGER) AS file_rank FROM stg_werk_empty"]
    for path, has_surrogates in con.execute("SELECT path, has_surrogates FROM werk_files ORDER BY path").fetchall():
        relation = parquet(path)
        if not has_surrogates:
            relation = f"({_with_surrogates('werk', f'(SELECT * FROM stg_werk_empty UNION ALL BY NAME SELECT * FROM {relation})')})"
        parts.append(f"SELECT {columns}, {ranks[path]} AS file_rank FROM {relation}")
    con.execute("CREATE OR REPLACE TEMP VIEW stg_werk_ranked AS " + "\nUNION ALL\n".join(parts))


def _reference_views(con, reference_dir: Path) -> None:
    """``reference_<file>``: each reference file as text; ``ref_gemeenten``/``ref_instellingen``: one
    row per code even if a user's reference file repeats one; empty fields mean "none"."""
    for name in REFERENCE_FILES:
        con.execute(f"CREATE OR REPLACE TEMP VIEW reference_{name} AS SELECT * FROM {reference_sql(reference_dir, name)}")
    # every code of gemeenten.csv and every code that disappeared in a reorganisation, with the code
    # it is known by now and that code's region (reference.region_of_sql: one rule for ingest and
    # build), so a 2018 code lands in the region of the municipality it is part of today. Every
    # change in the table counts, whatever the reference date: gemeenten.csv lists today's
    # municipalities, and the folder's bytes (in the build fingerprint) fix the result, not the clock.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ref_gemeenten AS
        SELECT gemeente_code, min(huidige_gemeente_code) AS huidige_gemeente_code, min(rmc_regio_code) AS rmc_regio_code
        FROM {region_of_sql(reference_dir, dt.date.max)} GROUP BY 1""")
    # the national tables shipped with the package (SBI sections; docs/reference-data.md)
    national = resources.files("soepel_etl.reference").joinpath("national")
    for entry in national.iterdir():
        if entry.name.endswith(".csv"):
            # a table, not a view: as_file's path may be a temporary copy, gone after the block
            with resources.as_file(entry) as path:
                con.execute(f"CREATE OR REPLACE TEMP TABLE national_{entry.name[:-4]} AS "
                            f"SELECT * FROM {reference_sql(path.parent, entry.name[:-4])}")
    con.execute("""CREATE OR REPLACE TEMP TABLE ref_instellingen AS
        SELECT upper(trim(brin)) AS brin, min(nullif(trim(pilot), '')) AS pilot
        FROM reference_instellingen GROUP BY 1""")


def coverage_of(con, reference_dir: Path | None = None, as_of: dt.date | None = None) -> Coverage:
    # not max(periode) over all werk rows: the slowest active sender sets the month (spec/extracts.md)
    senders = sender_coverage(con, reference_dir, as_of)
    employment = employment_coverage_month(senders)
    education = con.execute("SELECT strftime(max(delivery_date), '%Y-%m') FROM loaded_onderwijs").fetchone()[0]
    return Coverage(employment, education, senders)


def connect(workdir: Path, memory_limit: str = "3GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    workdir.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                  "temp_directory": str(workdir / "duckdb_tmp"), "preserve_insertion_order": False})


def person_ranges(con, person_months_per_range: int = PERSON_MONTHS_PER_RANGE) -> list[tuple[int, int]]:
    """Split the person_id space into equal ranges holding about ``person_months_per_range`` each."""
    total = con.execute("SELECT coalesce(sum(greatest(last_month_index() - first_month_index + 1, 0)), 0) "
                        "FROM core_persons").fetchone()[0]
    n = max(1, -(-int(total) // person_months_per_range))
    return [(i * ID_SPACE // n, (i + 1) * ID_SPACE // n - 1) for i in range(n)]


def build(tx: Transaction, reference_dir: Path, reference_date: dt.date, loaded_onderwijs_dates: list[dt.date],
          observer: BuildObserver | None = None, memory_limit: str = "3GB",
          person_months_per_range: int = PERSON_MONTHS_PER_RANGE) -> BuildResult:
    """Rebuild every core table and mart from staging into ``tx`` (replacing each table whole).

    ``observer`` (the pipeline passes the quality run's) sees each table while it is at hand, and its
    ``build_finished(con, coverage)`` runs on the build's connection once every table exists."""
    started = time.perf_counter()
    con = connect(tx.tmp / "build", memory_limit)
    try:
        for source in SOURCES:
            _staging_relation(con, tx, source)
            con.execute(f"CREATE OR REPLACE TEMP VIEW current_{source} AS {current_sql(source, f'stg_{source}')}")
        _werk_ranked(con, tx)
        con.execute("CREATE TEMP TABLE loaded_onderwijs (delivery_date DATE)")
        if loaded_onderwijs_dates:
            con.executemany("INSERT INTO loaded_onderwijs VALUES (?)", [(x,) for x in loaded_onderwijs_dates])
        _reference_views(con, reference_dir)
        for statement in rule_macros():
            con.execute(statement)
        coverage = coverage_of(con, reference_dir, reference_date)
        for statement in build_macros(
                reference_date, coverage.last_month_index, coverage.observed_until_index,
                coverage.reference_month or "0000-01", *_month_label_range(con, coverage)):
            con.execute(statement)
        result = BuildResult(coverage, reference_date)
        # the views, reference tables, coverage and macros every model needs (no table yet)
        prepared = round(time.perf_counter() - started, 2)
        runner = Runner(con, tx, observer)
        runner.run_whole()
        ranges = person_ranges(con, person_months_per_range)
        result.person_ranges = len(ranges)
        runner.run_ranges(ranges, person_range_macro)
        runner.run_last()
        runner.log_times()
        result.rows, result.seconds = runner.rows, {"prepare": prepared, **runner.seconds}
        result.provisional_outflows = con.execute(
            "SELECT count(*) FILTER (WHERE NOT final_24) FROM marts_outflow_outcomes").fetchone()[0]
        if observer is not None:
            observer.build_finished(con, coverage)
        return result
    finally:
        con.close()


def _month_label_range(con, coverage: Coverage) -> tuple[int, int]:
    """The first and last month any per-person table may hold (the range of the month labels). A sender
    ahead of the slowest active one delivers months beyond both coverage months; they stay in
    core/employment_months and need their text too.

    A label too many costs nothing, so the range is read cheaply rather than exactly: enrolment
    starts over every staged version (not only the current one, which needs a window over the
    source), and werk months from the staged files' Parquet statistics (no scan of the biggest source)."""
    first = con.execute("SELECT min(month_index(enrolment_start)) FROM stg_onderwijs").fetchone()[0]
    werk_first, latest = _werk_month_bounds(con)
    if werk_first is not None:
        first = werk_first if first is None else min(first, werk_first)
    first = min(first if first is not None else coverage.last_month_index, coverage.last_month_index)
    return first, max(coverage.last_month_index, first, latest if latest is not None else first)


def _werk_month_bounds(con) -> tuple[int | None, int | None]:
    """min and max ``month_index`` of staged werk: from the row groups' statistics when every file
    has the column and every row group its statistics (DuckDB writes them), else by a scan."""
    files = con.execute("SELECT path, has_surrogates FROM werk_files").fetchall()
    if files and all(has for _, has in files):
        low, high, missing = con.execute(
            "SELECT min(CAST(stats_min_value AS BIGINT)), max(CAST(stats_max_value AS BIGINT)), "
            "count(*) FILTER (WHERE stats_min_value IS NULL OR stats_max_value IS NULL) "
            f"FROM parquet_metadata({[p for p, _ in files]!r}) WHERE path_in_schema = 'month_index'").fetchone()
        if not missing and low is not None:
            return int(low), int(high)
    low, high = con.execute("SELECT min(month_index), max(month_index) FROM stg_werk_ranked").fetchone()
    return low, high
