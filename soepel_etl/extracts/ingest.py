"""Ingest: one delivered file → staged rows, quarantined rows and one row of ``_meta/loads``.

``ingest_landing`` takes every file in the landing zone that is not loaded yet, in the order of
extracts.md (delivery date, then file name), and writes into a :class:`Transaction`; nothing is
visible in the warehouse until the caller commits. The landing zone is only ever read.

Every file read is also reduced to its profiles (:mod:`.profiles`); the caller's ``check_files``
(the pipeline passes the quality run's) judges them, and a file it names is rejected as a whole.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from ..identity.pseudonyms import PseudonymKey
from ..privacy import mask_identifiers, scrub
from ..reference import reference_sql, region_of_sql
from ..schema.contracts import SOURCES, Source
from ..schema.sql import literal, parquet
from ..schema.profiles import FileProfile
from ..schema.versions import current_sql, valid_consent_sql
from ..warehouse.loads import LoadRecord, read_loads
from ..warehouse.transaction import Transaction
from . import arrival, profiles
from .clock import StepClock
from .arrival import sha256_of  # noqa: F401  (re-exported: callers hash with it)
from .filenames import BadName, DeliveryName, parse_delivery_name
from .late_consent import LateConsent, load_late_consent
from .reader import Unreadable, read_delivery
from .rows import make_checked
from .staging import quarantine_select, staging_from, staging_query, staging_select

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    path: Path
    folder: str | None
    sha256: str
    name: DeliveryName | None = None
    bad_name: str | None = None
    arrived: arrival.Arrived | None = None   # set when this scan hashed the file (for _meta/seen_files)

    @property
    def file_name(self) -> str:
        """The name as the warehouse, logs and reports know it: a name can carry an identifier
        (``leerlingen_123456782.csv``), masked like one; a valid delivery name is unchanged."""
        return mask_identifiers(self.path.name)

    @property
    def load_id(self) -> str:
        stem = self.path.stem if self.name else "".join(ch if ch.isalnum() else "_" for ch in self.file_name)
        return f"{mask_identifiers(stem)}-{self.sha256[:12]}"


@dataclass
class IngestResult:
    records: list[LoadRecord] = field(default_factory=list)
    skipped: int = 0   # files seen in an earlier run
    reference_date: dt.date | None = None   # the date consent was judged at
    late: LateConsent = field(default_factory=LateConsent)   # rows of earlier files late consent loaded
    hashed: list[tuple] = field(default_factory=list)   # ((path, size, mtime_ns), sha256) read this run
    profiles: list[FileProfile] = field(default_factory=list)   # of the files read in this run
    seconds: dict[str, float] = field(default_factory=dict)      # per ingest step, summed over files


# The check the caller passes in: profiles of the files this run loaded → {file name: why it is rejected}
FileCheck = Callable[[list[FileProfile]], dict[str, str]]


def discover(landing: Path, only: set[str] | None = None, settle_seconds: float = 0,
             seen: dict | None = None) -> list[Delivery]:
    """Every file under the landing zone that is ready to read (:mod:`.arrival`; or only those whose
    landing-relative path is in ``only``), valid names first in delivery order, then the rest by path.
    ``seen`` holds hashes of earlier runs by path, size and mtime: those files are not read again."""
    deliveries = []
    for arrived in arrival.scan(landing, settle_seconds).ready:
        path, rel = arrived.path, Path(arrived.rel)
        if only is not None and arrived.rel not in only:
            continue
        folder = str(rel.parent) if rel.parent != Path(".") else None
        sha, record = arrival.hash_of(arrived, seen or {})
        d = Delivery(path=path, folder=folder, sha256=sha, arrived=arrived if record else None)
        try:
            if folder is None:
                raise BadName("file lies in the landing zone's root, not in a source folder")
            d.name = parse_delivery_name(path, folder)
        except BadName as exc:
            d.bad_name = str(exc)
        deliveries.append(d)
    good = sorted((d for d in deliveries if d.name), key=lambda d: d.name.sort_key)
    bad = [d for d in deliveries if not d.name]
    return good + bad


def _connect(workdir: Path) -> duckdb.DuckDBPyConnection:
    """The run's one DuckDB connection for reading files (opening one costs ~30 ms: per file, that
    was a tenth of a small file's whole cost). ``workdir`` holds its spill files."""
    con = duckdb.connect(config={"threads": 2, "memory_limit": "3GB", "temp_directory": str(workdir / "duckdb_tmp"),
                                 "preserve_insertion_order": True})
    return con


# every temp object one file leaves on the run's connection (reader, row checks, staging, quarantine);
# the reference codes (``ref_*``) stay for the next file
_FILE_VIEWS = ("checked", "raw")
_FILE_TABLES = ("raw_unnumbered", "raw_lines", "typed", "duplicate_lines", "conflict_lines", "person_keys",
                "employer_keys", "malformed")


def _forget_file(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the previous file's tables and views, so the next file starts clean and their memory
    is free (they may be as large as the file). One call: a catalog query per file costs more."""
    con.execute("; ".join([f"DROP VIEW IF EXISTS {v}" for v in _FILE_VIEWS]
                          + [f"DROP TABLE IF EXISTS {t}" for t in _FILE_TABLES]))


def _copy(con, query: str, path: Path, params: dict) -> None:
    con.execute(f"COPY ({query}) TO {literal(path)} (FORMAT parquet, COMPRESSION zstd)", params)


def _reference_codes(con, source: Source, reference_dir: Path) -> list[tuple[str, str]]:
    """(column, temp table of known upper-case codes) for the codes counted as unknown; each table
    is read from the reference folder once per run."""
    if source.name != "onderwijs":
        return []
    known = {
        # a code of a municipality that has since merged is known when its successor has a region
        "woongemeente": ("ref_gemeenten", f"SELECT gemeente_code AS code FROM {region_of_sql(reference_dir)} "
                                          "WHERE in_reference"),
        "brin": ("ref_brin", f"SELECT upper(brin) AS code FROM {reference_sql(reference_dir, 'instellingen')} "
                             "WHERE brin IS NOT NULL"),
    }
    for table, query in known.values():
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} AS {query}")    # the run's first onderwijs file
    return [(column, table) for column, (table, _) in known.items()]


def _unknown_codes(con, source: Source, reference_dir: Path) -> str | None:
    checks = _reference_codes(con, source, reference_dir)
    if not checks:
        return None
    counts = ", ".join(
        f"count(DISTINCT upper(p_{column})) FILTER (WHERE upper(p_{column}) NOT IN (SELECT code FROM {table}))"
        for column, table in checks)
    found = con.execute(f"SELECT {counts} FROM checked WHERE len(reasons) = 0 AND NOT is_duplicate").fetchone()
    notes = [f"{column}: {n} code(s) not in the reference" for (column, _), n in zip(checks, found) if n]
    return "; ".join(notes) or None


def ingest_file(d: Delivery, tx: Transaction, key: PseudonymKey, reference_dir: Path, loaded_at: dt.datetime,
                previous_rows: int | None = None, con: duckdb.DuckDBPyConnection | None = None,
                clock: StepClock | None = None) -> tuple[LoadRecord, FileProfile]:
    """Read, check, pseudonymise and stage one file; ``previous_rows`` (rows read of the sender's
    previous delivery of this source) goes into the file's raw profile. ``con``: the run's
    connection (one is opened for this file when None); ``clock`` sums the seconds per step."""
    assert d.name is not None
    clock = clock or StepClock()
    own = con is None
    source = SOURCES[d.name.source]
    profile = FileProfile(source.name, d.file_name)
    record = LoadRecord(load_id=d.load_id, file_name=d.file_name, source=source.name, sender=d.name.sender,
                        delivery_date=d.name.delivery_date, sha256=d.sha256, outcome="loaded",
                        loaded_at=loaded_at, run_id=tx.run_id)
    # transcoded copies and DuckDB's spill files hold raw identifiers: never inside the warehouse
    workdir = tx.scratch / d.load_id
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if own:
        with clock.step("connect"):
            con = _connect(workdir)
    try:
        with clock.step("read"):
            read = read_delivery(con, d.path, d.name.extension, workdir)
        record.encoding, record.delimiter, record.rows_read = read.encoding, read.delimiter, read.rows_read
        present = set(read.columns)
        missing = [c for c in source.required_columns if c not in present]
        if not present & {"bsn", "onderwijsnummer"}:
            missing.insert(0, "bsn or onderwijsnummer")
        if missing:
            raise Unreadable(f"required column(s) missing: {', '.join(missing)}")
        if read.rows_read == 0:
            raise Unreadable("empty file: a header but no data rows")
        known = {c.name for c in source.columns}
        extra = [c for c in read.columns if c not in known]
        record.extra_columns = scrub(", ".join(extra)) or None

        with clock.step("check"):
            make_checked(con, source, present, d.name.delivery_date, read.table)
            # the text rows are in ``typed`` now; free their memory before staging sorts the file
            con.execute(f"DROP VIEW {read.table}; DROP TABLE IF EXISTS {read.table}_lines; "
                        f"DROP TABLE {read.table}_unnumbered")
        with clock.step("count"):
            counts = profiles.checked_counts(con, source, d.name.delivery_date)
        with clock.step("profile_raw"):
            profile.raw = profiles.raw_profile(counts, source, present, d.file_name, d.name.delivery_date,
                                               previous_rows)
        params = {"load_id": d.load_id, "file_name": d.file_name, "sender": d.name.sender,
                  "delivery_date": d.name.delivery_date, "source": source.name}
        ipad, opad = key.pads()
        staged = f"staging/{source.name}/{d.load_id}.parquet"
        with clock.step("pseudonymise_stage"):
            *prepare, from_clause = staging_from(source)
            for statement in prepare:
                con.execute(statement, {"ipad": ipad, "opad": opad})
            _copy(con, staging_query(source, staging_select(source), from_clause), tx.add_file(staged),
                  {k: v for k, v in params.items() if k != "source"})
        record.staged_relpath = staged
        with clock.step("profile_staged"):
            profile.staged = profiles.staged_profile(con, source, str(tx.tmp / staged), d.file_name)

        record.rows_duplicate, quarantined, record.rows_loaded = counts.duplicates, counts.quarantined, counts.loaded
        record.rows_quarantined = quarantined + len(read.malformed)
        with clock.step("quarantine"):
            if record.rows_quarantined:
                _quarantine(con, source, read.malformed, tx.add_file(f"quarantine/{source.name}/{d.load_id}.parquet"),
                            {k: params[k] for k in ("load_id", "file_name", "source")})
                reasons = dict(counts.reasons)
                for _, error in read.malformed:
                    reasons[f"malformed_row:{error}"] = reasons.get(f"malformed_row:{error}", 0) + 1
                record.quarantine_reasons = json.dumps(dict(sorted(reasons.items())))
        with clock.step("unknown_codes"):
            record.unknown_codes = _unknown_codes(con, source, reference_dir)
    except Unreadable as exc:
        record.outcome, record.reason = "rejected", scrub(str(exc))
        record.rows_loaded = record.rows_quarantined = record.rows_duplicate = 0
        record.staged_relpath = None
        tx.discard(f"staging/{source.name}/{d.load_id}.parquet")
        tx.discard(f"quarantine/{source.name}/{d.load_id}.parquet")
    finally:
        with clock.step("cleanup"):
            if own:
                con.close()
            else:
                _forget_file(con)
            shutil.rmtree(workdir, ignore_errors=True)
    return record, profile


def _quarantine(con, source: Source, malformed: list[tuple[int, str]], path: Path, params: dict) -> None:
    """The quarantined rows, masked, with the rows the reader could not split (no values at all)."""
    q = f"SELECT {quarantine_select(source)} FROM checked WHERE NOT is_duplicate AND len(reasons) > 0"
    if malformed:
        con.execute("CREATE OR REPLACE TEMP TABLE malformed(line_number BIGINT, reason VARCHAR)")
        con.executemany("INSERT INTO malformed VALUES (?, ?)",
                        [(line, f"malformed_row:{err}") for line, err in malformed])
        nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {c.name}" for c in source.columns)
        q += (f" UNION ALL BY NAME SELECT $load_id AS load_id, $file_name AS file_name, $source AS source, "
              f"line_number, [reason] AS reasons, reason, {nulls} FROM malformed")
    _copy(con, f"SELECT * FROM ({q}) ORDER BY line_number", path, params)


class _Deliveries:
    """Rows read per earlier delivery (committed loads, then the files of this run as they are read),
    to compare a file with the sender's previous delivery of the same source."""

    def __init__(self, loads: list[dict]):
        self.read = [((r["delivery_date"], r["file_name"]), r["source"], r["sender"], r["rows_read"])
                     for r in loads if r["outcome"] == "loaded"]

    def previous_rows(self, source: str, sender: str, order_key: tuple) -> int | None:
        earlier = [(k, n) for k, s, snd, n in self.read if s == source and snd == sender and k < order_key]
        return max(earlier)[1] if earlier else None

    def add(self, d: Delivery, rows_read: int) -> None:
        self.read.append(((d.name.delivery_date, d.file_name), d.name.source, d.name.sender, rows_read))


def exclude_without_consent(records: list[LoadRecord], tx: Transaction, reference_date: dt.date) -> None:
    """Drop interventies rows of persons without valid consent for that pilot, counting them per file.

    Judged once per run, after every file of the run is staged, against the current participant
    register (earlier runs and this one) at the run's reference date.
    """
    files = [r for r in records if r.source == "interventies" and r.outcome == "loaded" and r.staged_relpath]
    if not files:
        return
    register = [str(p) for p in (tx.root / "staging/deelnemers").glob("*.parquet")]
    register += [str(tx.tmp / r.staged_relpath) for r in records
                 if r.source == "deelnemers" and r.outcome == "loaded" and r.staged_relpath]
    con = duckdb.connect()
    try:
        if register:
            con.execute(f"CREATE TEMP VIEW deelnemers AS SELECT * FROM {parquet(register, union_by_name='true')}")
            current = f"({current_sql('deelnemers', 'deelnemers')})"
            con.execute(f"CREATE TEMP TABLE consent AS {valid_consent_sql(current, reference_date)}")
        else:
            con.execute("CREATE TEMP TABLE consent (person_key VARCHAR, pilot_code VARCHAR, participation_type VARCHAR)")
        for r in files:
            path = tx.tmp / r.staged_relpath
            kept_path = path.with_suffix(".consented.parquet")
            con.execute(
                f"COPY (SELECT s.* FROM {parquet(path)} s SEMI JOIN consent c "
                f"ON s.person_key = c.person_key AND s.pilot_code = c.pilot_code ORDER BY s.line_number) "
                f"TO {literal(kept_path)} (FORMAT parquet, COMPRESSION zstd)"
            )
            kept = con.execute(f"SELECT count(*) FROM {parquet(kept_path)}").fetchone()[0]
            kept_path.replace(path)
            r.rows_excluded = r.rows_loaded - int(kept)
            r.rows_loaded = int(kept)
    finally:
        con.close()


def ingest_landing(landing: Path, tx: Transaction, key: PseudonymKey, reference_dir: Path,
                   reference_date: dt.date | Callable[[list[LoadRecord]], dt.date | None],
                   check_files: FileCheck | None, only: list[str] | None = None) -> IngestResult:
    """Ingest every new file (or only those in ``only``, paths relative to the landing zone).

    ``reference_date(records)`` gives the date consent is judged at, from this run's load records
    (the default is the latest delivery date loaded so far, these files included). ``check_files``
    judges the profiles of the loaded files (None: no file check)."""
    result = IngestResult()
    clock = StepClock()
    previous = read_loads(tx.root).to_pylist()
    deliveries = _Deliveries(previous)
    seen = {(r["file_name"], r["sha256"]) for r in previous}
    loaded_shas = {r["sha256"] for r in previous if r["outcome"] == "loaded"}
    loaded_at = dt.datetime.now(dt.timezone.utc)
    wanted = None if only is None else {Path(p).as_posix() for p in only}
    with clock.step("discover"):
        found = discover(landing, wanted, seen=arrival.read_seen(tx.root))
    # one connection for every file of the run; its spill files hold raw identifiers, so they go
    # to the run's private scratch folder, never into the warehouse
    workdir, con = tx.scratch / "ingest", None
    try:
        for d in found:
            if d.arrived:
                result.hashed.append((d.arrived.key, d.sha256))
            if (d.file_name, d.sha256) in seen:
                result.skipped += 1
                continue
            seen.add((d.file_name, d.sha256))
            if d.name is None:
                rec = LoadRecord(load_id=d.load_id, file_name=d.file_name, source=None, sender=None,
                                 delivery_date=None, sha256=d.sha256, outcome="rejected",
                                 reason=mask_identifiers(d.bad_name or ""), loaded_at=loaded_at, run_id=tx.run_id)
            elif d.sha256 in loaded_shas:
                rec = LoadRecord(load_id=d.load_id, file_name=d.file_name, source=d.name.source,
                                 sender=d.name.sender, delivery_date=d.name.delivery_date, sha256=d.sha256,
                                 outcome="duplicate_file", reason="same bytes (SHA-256) as a file already loaded",
                                 loaded_at=loaded_at, run_id=tx.run_id)
            else:
                if con is None:
                    with clock.step("connect"):
                        workdir.mkdir(mode=0o700, exist_ok=True)
                        con = _connect(workdir)
                rec, profile = ingest_file(d, tx, key, reference_dir, loaded_at,
                                           deliveries.previous_rows(d.name.source, d.name.sender,
                                                                    (d.name.delivery_date, d.file_name)),
                                           con=con, clock=clock)
                if profile.raw is not None:
                    # later files of this run compare against this one
                    deliveries.add(d, profile.raw["rows_read"])
                    result.profiles.append(profile)
                if rec.outcome == "loaded":
                    loaded_shas.add(d.sha256)
            result.records.append(rec)
    finally:
        if con is not None:
            con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    with clock.step("check_files"):
        loaded = {r.file_name for r in result.records if r.outcome == "loaded"}
        rejected = check_files([p for p in result.profiles if p.file_name in loaded]) if check_files else {}
    for name, reason in rejected.items():
        for rec in result.records:
            if rec.file_name == name and rec.outcome == "loaded":
                reject_loaded(rec, tx, reason)
    for rec in result.records:
        log.info("%s: %s%s", rec.file_name, rec.outcome, f" ({rec.reason})" if rec.reason else "")
    result.reference_date = reference_date(result.records) if callable(reference_date) else reference_date
    with clock.step("consent"):
        exclude_without_consent(result.records, tx, result.reference_date)
    with clock.step("late_consent"):
        result.late = load_late_consent(landing, tx, key, result.records, result.reference_date, sha256_of)
    result.seconds = clock.rounded()
    if result.records:
        log.info("ingest seconds per step (%d files read): %s", len(result.profiles), json.dumps(result.seconds))
    return result


def reject_loaded(record: LoadRecord, tx: Transaction, reason: str) -> None:
    """A file read and staged in this run turns out bad as a whole: nothing of it stays."""
    if record.source:
        tx.discard(f"staging/{record.source}/{record.load_id}.parquet")
        tx.discard(f"quarantine/{record.source}/{record.load_id}.parquet")
    record.outcome, record.reason = "rejected", scrub(reason)
    record.rows_loaded = record.rows_quarantined = record.rows_duplicate = record.rows_excluded = 0
    record.staged_relpath = record.quarantine_reasons = record.unknown_codes = None
