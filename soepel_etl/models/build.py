"""Build core tables and marts from staging, in DuckDB, into a Transaction.

The SQL lives in one file per table (``core/*.sql``, ``marts/*.sql``), templated with ``${name}``
placeholders that this module fills from :mod:`soepel_etl.schema.rules` — so each rule has
one home — and from the run's coverage months and reference date.

Two kinds of model. The small ones (enrolments, persons, benefit spells, the pilot register) are
built whole. The per-person ones — employment per month, the person-month timeline, outflow
outcomes and the risk monitor — only ever relate rows of one person, so they are built for one
range of ``person_id`` at a time (``${person_range}``) and written part by part: memory stays
bounded by the size of a range, not of the country (see docs/data-dictionary.md, "How the build
scales").
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
from ..schema.contracts import SOURCES
from ..schema.staging import staging_ddl, surrogates
from ..quality.reductions import core_frame, core_profile_sql, mart_frame
from ..quality.regressions import regression_frames
from ..reference import reference_sql, region_of_sql
from .coverage import employment_coverage_month, holds_back, sender_coverage
from ..settings import ONBEKEND_RISE_MAX, OUTFLOW_DROP_MAX, PERSON_MONTHS_PER_RANGE
from ..warehouse.transaction import Transaction
from ..schema import rules as d
from ..schema.versions import current_sql, file_rank_sql

log = logging.getLogger(__name__)

WHOLE_CORE = ("enrolments", "benefit_spells", "participants", "interventions", "persons")
# built per range of persons, in this order; each may read the parts before it (<table>_part)
PER_PERSON = (("core", "employment_months"), ("core", "person_month"), ("marts", "outflow_outcomes"),
              ("marts", "risk_monitor"))

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
        return None if i < 0 else d.month_text(i)


@dataclass
class BuildResult:
    coverage: Coverage
    reference_date: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    provisional_outflows: int | None = None
    person_ranges: int = 1


def _sql(layer: str, table: str) -> Template:
    return Template((resources.files("soepel_etl.models") / layer / f"{table}.sql").read_text(encoding="utf-8"))


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
                    f"SELECT * FROM read_parquet({files!r}, union_by_name=true))")
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
        names = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}
        first = con.execute(f"SELECT load_id, delivery_date, file_name FROM read_parquet('{path}') LIMIT 1").fetchone()
        if first is not None:
            con.execute("INSERT INTO werk_files VALUES (?, ?, ?, ?, ?)",
                        [path, *first, {"person_id", "employer_id", "month_index"} <= names])
    ranks = dict(con.execute(f"SELECT f.path, r.file_rank FROM werk_files AS f JOIN ({file_rank_sql('werk_files')}) "
                             f"AS r USING (load_id)").fetchall())
    columns = "person_id, employer_id, month_index, hours, sv_wage"
    parts = [f"SELECT {columns}, CAST(NULL AS INTEGER) AS file_rank FROM stg_werk_empty"]
    for path, has_surrogates in con.execute("SELECT path, has_surrogates FROM werk_files ORDER BY path").fetchall():
        relation = f"read_parquet('{path}')"
        if not has_surrogates:
            relation = f"({_with_surrogates('werk', f'(SELECT * FROM stg_werk_empty UNION ALL BY NAME SELECT * FROM {relation})')})"
        parts.append(f"SELECT {columns}, {ranks[path]} AS file_rank FROM {relation}")
    con.execute("CREATE OR REPLACE TEMP VIEW stg_werk_ranked AS " + "\nUNION ALL\n".join(parts))


def _reference_views(con, reference_dir: Path) -> None:
    # every code of gemeenten.csv and every code that disappeared in a reorganisation, with the code
    # it is known by now and that code's region (reference.region_of_sql: one rule for ingest and
    # build), so a 2018 code lands in the region of the municipality it is part of today. Every
    # change in the table counts, whatever the reference date: gemeenten.csv lists today's
    # municipalities, and the folder's bytes (in the build fingerprint) fix the result, not the clock.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ref_gemeenten AS
        SELECT gemeente_code, min(huidige_gemeente_code) AS huidige_gemeente_code, min(rmc_regio_code) AS rmc_regio_code
        FROM {region_of_sql(reference_dir, dt.date.max)} GROUP BY 1""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ref_instellingen AS
        SELECT upper(trim(brin)) AS brin, min(nullif(trim(pilot), '')) AS pilot
        FROM {reference_sql(reference_dir, 'instellingen')} GROUP BY 1""")


# the reference folder this build used, stored with it: the report takes region, municipality and
# pilot names from here, never from whatever folder happens to be configured when it runs
REFERENCE_TABLES = {
    "municipalities": ("gemeenten", "gemeente_code", """
        SELECT upper(trim(gemeente_code)) AS municipality_code, min(trim(gemeente_naam)) AS municipality_name,
               min(nullif(trim(rmc_regio_code), '')) AS rmc_region_code,
               min(nullif(trim(rmc_regio_naam), '')) AS rmc_region_name,
               min(nullif(trim(arbeidsmarktregio), '')) AS labour_market_region"""),
    "institutions": ("instellingen", "brin", """
        SELECT upper(trim(brin)) AS brin, min(trim(naam)) AS institution_name,
               min(nullif(trim(pilot), '')) AS pilot_code"""),
    "pilots": ("pilots", "pilot", """
        SELECT upper(trim(pilot)) AS pilot_code, min(trim(naam)) AS pilot_name,
               min(nullif(trim(doelgroep), '')) AS target_group"""),
}


def _write_reference(con, tx: Transaction, reference_dir: Path, result) -> None:
    for table, (name, code, select) in REFERENCE_TABLES.items():
        out = tx.replace_table(f"core/{table}")
        result.rows[f"core/{table}"] = con.execute(
            f"COPY ({select} FROM {reference_sql(reference_dir, name)} GROUP BY upper(trim({code})) ORDER BY 1) "
            f"TO '{out}/data.parquet' (FORMAT parquet)").fetchone()[0]


def coverage_of(con, reference_dir: Path | None = None, as_of: dt.date | None = None) -> Coverage:
    # not max(periode) over all werk rows: the slowest active sender sets the month (spec/extracts.md)
    senders = sender_coverage(con, reference_dir, as_of)
    employment = employment_coverage_month(senders)
    education = con.execute("SELECT strftime(max(delivery_date), '%Y-%m') FROM loaded_onderwijs").fetchone()[0]
    return Coverage(employment, education, senders)


def parameters(coverage: Coverage, reference_date: dt.date) -> dict[str, str]:
    mi, mt = d.month_index_sql, d.month_text_sql
    reference = coverage.reference_month or "0000-01"
    code = {s: i for i, s in enumerate(d.STATUS_PRIORITY)}
    window_month_counts = ",\n           ".join(
        f"list_count(list_filter(codes, lambda c: c = {code[s]})) AS months_{s}_24" for s in d.STATUS_PRIORITY)
    month_count_columns = ", ".join(f"months_{s}_24" for s in
                                    ("werk", "onderwijs", "werkend_lerend", "uitkering", "geen", "onbekend"))
    unpivot = "\n    UNION ALL\n    ".join(
        f"SELECT cohort, pilot_code, niveau, leerweg, diploma, participation_type, {k} AS horizon, "
        f"status_{k} AS status, final_{k} AS is_final FROM marts_outflow_outcomes" for k in d.HORIZONS)
    return {
        "reference_date": reference_date.isoformat(),
        "last_month_index": str(coverage.last_month_index),
        "observed_until_index": str(coverage.observed_until_index),
        "enrolment_start_index": mi("enrolment_start"),
        "enrolment_end_index": mi("enrolment_end"),
        "benefit_start_index": mi("start_date"),
        "benefit_end_index": mi("end_date"),
        "first_month_text": mt("s.first_month_index"),
        "outflow_month_index": mi("e.enrolment_end"),
        "outflow_month_text": mt("u"),
        "no_registration": d.NO_REGISTRATION,
        "window": str(d.WINDOW),
        "sustained_last": str(d.SUSTAINED_LAST),
        "sustained_min": str(d.SUSTAINED_MIN),
        "window_month_counts": window_month_counts,
        "status_code": d.status_code_sql("observed", "bbl", "enrolled", "employed", "benefit"),
        "status_of_code": repr(list(d.STATUS_PRIORITY)),
        "onbekend_code": str(code["onbekend"]),
        "geen_code": str(code["geen"]),
        "active_codes": ", ".join(str(code[s]) for s in d.ACTIVE_STATUSES),
        "work_codes": ", ".join(str(code[s]) for s in d.WORK_STATUSES),
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
                                                "b.person_id IS NOT NULL"),
        "risk_level": d.risk_level_sql("risk_score"),
        **{f"current_{s}": current_sql(s, f"stg_{s}") for s in SOURCES},
    }


class PersonIdCollision(RuntimeError):
    """Two pseudonyms share the 60-bit surrogate the build joins on; the build refuses to merge them."""


def _check_person_ids(con) -> None:
    # every pseudonym the build links on: enrolments, benefit spells, the pilot register
    shared = con.execute("""
        SELECT count(*) FROM (
            SELECT person_id FROM (SELECT person_id, person_key FROM core_enrolments
                                   UNION ALL SELECT person_id, person_key FROM core_benefit_spells
                                   UNION ALL SELECT person_id, person_key FROM core_participants)
            GROUP BY person_id HAVING min(person_key) <> max(person_key))""").fetchone()[0]
    if shared:
        raise PersonIdCollision(
            f"{shared} surrogate id(s) shared by more than one person_key; widen schema.rules.surrogate_id_sql")


def connect(workdir: Path, memory_limit: str = "3GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    workdir.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                  "temp_directory": str(workdir / "duckdb_tmp"), "preserve_insertion_order": False})


def person_ranges(con, person_months_per_range: int = PERSON_MONTHS_PER_RANGE) -> list[tuple[int, int]]:
    """Split the person_id space into equal ranges holding about ``person_months_per_range`` each."""
    total = con.execute("SELECT coalesce(sum(greatest(getvariable('last_month_index') - first_month_index + 1, 0)), 0) "
                        "FROM core_persons").fetchone()[0]
    n = max(1, -(-int(total) // person_months_per_range))
    return [(i * ID_SPACE // n, (i + 1) * ID_SPACE // n - 1) for i in range(n)]


def _published(table: str, month_text: str) -> str:
    """What a per-person core table publishes: its part with the month as text.

    person_month also gets the pseudonym and the status as text, and keeps month_index and
    person_id (month arithmetic; joining core/employment_months directly). employment_months stays
    on person_id: its rows leave an aggregate in no particular order, and written that way 88 M
    copies of a 64-character pseudonym cost more than the rest of the table."""
    if table == "person_month":
        return (f"SELECT p.person_key, {month_text} AS month, {d.status_text_sql('t.status_code')} AS status, "
                f"t.* EXCLUDE (person_id, month_index, status_code), t.month_index, t.person_id "
                f"FROM {table}_part AS t JOIN core_persons AS p USING (person_id)")
    return f"SELECT t.person_id, {month_text} AS month, t.* EXCLUDE (person_id) FROM {table}_part AS t"


# what the per-person models and the marts read of the whole tables once those are published and
# checked: the build keeps only these columns in memory
KEEP = {
    "core_enrolments": "person_key, person_id, brin, enrolment_id, enrolment_start, enrolment_end, pilot_code, "
                       "crebo, niveau, leerweg, diploma, rmc_region_code",
    "core_benefit_spells": "person_id, start_date, end_date",
    "core_participants": "person_key, person_id, pilot_code, participation_type, consent_valid",
}


def build(tx: Transaction, reference_dir: Path, reference_date: dt.date, loaded_onderwijs_dates: list[dt.date],
          memory_limit: str = "3GB", person_months_per_range: int = PERSON_MONTHS_PER_RANGE,
          outflow_drop_max: float = OUTFLOW_DROP_MAX, onbekend_rise_max: float = ONBEKEND_RISE_MAX) -> BuildResult:
    """Rebuild every core table and mart from staging into ``tx`` (replacing each table whole)."""
    con = connect(tx.tmp / "build", memory_limit)
    try:
        for source in SOURCES:
            _staging_relation(con, tx, source)
        _werk_ranked(con, tx)
        con.execute("CREATE TEMP TABLE loaded_onderwijs (delivery_date DATE)")
        if loaded_onderwijs_dates:
            con.executemany("INSERT INTO loaded_onderwijs VALUES (?)", [(x,) for x in loaded_onderwijs_dates])
        _reference_views(con, reference_dir)
        coverage = coverage_of(con, reference_dir, reference_date)
        params = parameters(coverage, reference_date)
        con.execute(f"SET VARIABLE last_month_index = {coverage.last_month_index}")
        result = BuildResult(coverage, reference_date)

        def timed(name: str, run) -> None:
            started = time.perf_counter()
            run()
            result.seconds[name] = round(result.seconds.get(name, 0.0) + time.perf_counter() - started, 2)

        frames: dict = {}
        timed("core/reference", lambda: _write_reference(con, tx, reference_dir, result))

        def check(name: str, frame) -> None:
            if frame is not None:
                frames[name] = frame

        def whole(layer: str, table: str) -> None:
            name = f"{layer}_{table}"
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {_sql(layer, table).substitute(params)}")
            out = tx.replace_table(f"{layer}/{table}")
            result.rows[f"{layer}/{table}"] = con.execute(
                f"COPY {name} TO '{out}/data.parquet' (FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
            if layer == "core":
                check(name, core_frame(con, table))
            if table == "persons":
                _check_person_ids(con)

        for table in WHOLE_CORE:
            timed(f"core/{table}", lambda: whole("core", table))
        for table in ("participants", "interventions"):       # need nothing per person
            timed(f"marts/{table}", lambda: whole("marts", table))
            check(f"marts_{table}", mart_frame(con, table))
        con.execute("DROP TABLE core_interventions; DROP TABLE marts_interventions; DROP TABLE marts_participants")
        for name, columns in KEEP.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {columns} FROM {name}")
        timed("person_spans", lambda: con.execute(
            f"CREATE OR REPLACE TEMP TABLE person_spans AS {_sql('core', 'person_spans').substitute(params)}"))

        ranges = person_ranges(con, person_months_per_range)
        result.person_ranges = len(ranges)
        months = _month_lookup(con, coverage)
        outputs = {f"{layer}/{table}": tx.replace_table(f"{layer}/{table}") for layer, table in PER_PERSON}
        for i, (lo, hi) in enumerate(ranges):
            range_params = params | {"person_range": f"person_id BETWEEN {lo} AND {hi}"}
            for layer, table in PER_PERSON:
                name = f"{layer}/{table}"

                def step() -> None:
                    query = _sql(layer, table).substitute(range_params)
                    if table == "person_month":
                        # months stay in person order when the spans are the probe side of the join
                        # (DuckDB would build on them, the larger side); ordered rows let Parquet
                        # dictionary-encode person_key: files ~8x smaller, written faster
                        con.execute("SET disabled_optimizers = 'build_side_probe_side'")
                    try:
                        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_part AS {query}")
                    finally:
                        con.execute("RESET disabled_optimizers")
                    published = _published(table, months) if layer == "core" else f"SELECT * FROM {table}_part"
                    written = con.execute(
                        f"COPY ({published}) TO '{outputs[name]}/part-{i:04d}.parquet' "
                        f"(FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
                    result.rows[name] = result.rows.get(name, 0) + written
                    quality_profile(con, table, i)
                timed(name, step)
        for layer, table in PER_PERSON:
            con.execute(f"DROP TABLE IF EXISTS {table}_part")
            # the marts are small: later steps and the checks read them back from their parts
            con.execute(f"CREATE OR REPLACE TEMP VIEW {layer}_{table} AS SELECT * FROM "
                        f"read_parquet('{outputs[layer + '/' + table]}/*.parquet')")
            if layer == "core":
                check(f"core_{table}", core_frame(con, table))
        timed("marts/cohort_outcomes", lambda: whole("marts", "cohort_outcomes"))
        for table in ("outflow_outcomes", "cohort_outcomes", "risk_monitor"):
            check(f"marts_{table}", mart_frame(con, table))
        # against the committed build: coverage, final figures, outflows per cohort, onbekend
        frames.update(regression_frames(con, tx, coverage, outflow_drop_max, onbekend_rise_max))
        for table, took in list(result.seconds.items()):
            log.info("built %s: %s rows in %.1fs", table, result.rows.get(table, "-"), took)
        result.provisional_outflows = con.execute(
            "SELECT count(*) FILTER (WHERE NOT final_24) FROM marts_outflow_outcomes").fetchone()[0]
        timed("quality", lambda: quality.check_build(tx, frames))  # critical → raises, the run rolls back
        return result
    finally:
        con.close()


def _month_lookup(con, coverage: Coverage) -> str:
    """SQL for ``month_index`` → 'YYYY-MM' over the build's months: a list lookup, not a format per row."""
    first = con.execute("SELECT min(m) FROM (SELECT min(first_month_index) AS m FROM core_persons "
                        "UNION ALL SELECT min(month_index) FROM stg_werk_ranked)").fetchone()[0]
    first = min(first if first is not None else coverage.last_month_index, coverage.last_month_index)
    # a sender ahead of the slowest active one delivers months beyond both coverage months; they stay
    # in core/employment_months and need their text too
    latest = con.execute("SELECT max(month_index) FROM stg_werk_ranked").fetchone()[0]
    last = max(coverage.last_month_index, first, latest if latest is not None else first)
    texts = [d.month_text(i) for i in range(first, last + 1)]
    return f"{texts!r}[t.month_index - {first - 1}]"


def quality_profile(con, table: str, part: int) -> None:
    """Accumulate the reduction the core suites check, range by range (persons never span ranges)."""
    query = core_profile_sql(table, f"{table}_part")
    if query is None:
        return
    if part == 0:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_profile AS {query}")
    else:
        con.execute(f"INSERT INTO {table}_profile {query}")
