"""Ingest: delivered files → staged rows, quarantined rows and one row of ``_meta/loads`` per file.

``ingest_landing`` takes every file in the landing zone that is not loaded yet, in the order of
extracts.md (delivery date, then file name), and writes into a :class:`Transaction`; nothing is
visible in the warehouse until the caller commits. The landing zone is only ever read. The files of
one source go through the SQL together, as batches (:mod:`.batch`, :func:`batches`); every rule
is still judged per file, and every file keeps its own staging, quarantine and load record.

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
from . import arrival, batch, profiles
from .batch import BATCH_BYTES
from .clock import StepClock
from .arrival import sha256_of
from .filenames import BadName, DeliveryName, parse_delivery_name
from .late_consent import LateConsent, load_late_consent
from .reader import ReadResult, Unreadable, read_delivery
from .rows import make_checked
from .staging import staging_select

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
    """A batch's DuckDB connection (opening one costs ~30 ms: per file, that was a tenth of a small
    file's whole cost; per batch it is less than dropping the batch's hundreds of temp objects one
    by one, which closing it does at once). ``workdir`` holds its spill files."""
    con = duckdb.connect(config={"threads": 2, "memory_limit": "3GB", "temp_directory": str(workdir / "duckdb_tmp"),
                                 "preserve_insertion_order": True})
    return con


def _reference_codes(con, source: Source, reference_dir: Path) -> list[tuple[str, str]]:
    """(column, temp table of known upper-case codes) for the codes counted as unknown; each table
    is read from the reference folder once per batch."""
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
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} AS {query}")    # once per onderwijs batch
    return [(column, table) for column, (table, _) in known.items()]


def _unknown_codes(con, source: Source, reference_dir: Path) -> dict[int, str]:
    """file_no → note of the codes its good rows use that the reference does not know."""
    checks = _reference_codes(con, source, reference_dir)
    if not checks:
        return {}
    counts = ", ".join(
        f"count(DISTINCT upper(p_{column})) FILTER (WHERE upper(p_{column}) NOT IN (SELECT code FROM {table}))"
        for column, table in checks)
    out = {}
    for file_no, *found in con.execute(f"SELECT file_no, {counts} FROM checked "
                                       "WHERE len(reasons) = 0 AND NOT is_duplicate GROUP BY file_no").fetchall():
        notes = [f"{column}: {n} code(s) not in the reference" for (column, _), n in zip(checks, found) if n]
        if notes:
            out[file_no] = "; ".join(notes)
    return out


def _read(d: Delivery, file_no: int, source: Source, record: LoadRecord, tx: Transaction,
          con: duckdb.DuckDBPyConnection) -> ReadResult:
    """Read one file into its own table ``raw_<file_no>``; raises :class:`Unreadable` for a file
    rejected as a whole (then nothing of it is left on ``con``)."""
    # a transcoded copy holds raw identifiers: never inside the warehouse
    workdir = tx.scratch / d.load_id
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    table = f"raw_{file_no}"
    try:
        read = read_delivery(con, d.path, d.name.extension, workdir, table)
        record.encoding, record.delimiter, record.rows_read = read.encoding, read.delimiter, read.rows_read
        present = set(read.columns)
        missing = [c for c in source.required_columns if c not in present]
        if not present & {"bsn", "onderwijsnummer"}:
            missing.insert(0, "bsn or onderwijsnummer")
        if missing:
            raise Unreadable(f"required column(s) missing: {', '.join(missing)}")
        if read.rows_read == 0:
            raise Unreadable("empty file: a header but no data rows")
    except Unreadable:
        batch.drop_read(con, table)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    known = {c.name for c in source.columns}
    record.extra_columns = scrub(", ".join(c for c in read.columns if c not in known)) or None
    return read


def ingest_batch(ds: list[Delivery], tx: Transaction, key: PseudonymKey, reference_dir: Path,
                 loaded_at: dt.datetime, deliveries: "_Deliveries", loaded_shas: set[str],
                 con: duckdb.DuckDBPyConnection, clock: StepClock) -> list[tuple[LoadRecord, FileProfile | None]]:
    """Read, check, pseudonymise and stage the files ``ds`` of one source, in their order.

    Each file is read on its own, in delivery order, so that a file repeating the bytes of one
    loaded before it is a duplicate and each compares with the sender's previous delivery
    (``deliveries``, which learns each file's rows as it is read); everything after reading is one
    set of statements for the batch (:mod:`.batch`) on ``con``, the batch's own connection (the
    caller closes it, and with it every temp object of the batch). Returns a load record per file,
    in order, with its profiles (None for a file not read)."""
    source = SOURCES[ds[0].name.source]
    out: list[tuple[LoadRecord, FileProfile | None]] = []
    files: list[tuple[batch.BatchFile, LoadRecord, FileProfile]] = []
    for file_no, d in enumerate(ds):
        assert d.name is not None and d.name.source == source.name
        if d.sha256 in loaded_shas:
            out.append((_duplicate_file(d, loaded_at, tx.run_id), None))
            continue
        record = LoadRecord(load_id=d.load_id, file_name=d.file_name, source=source.name, sender=d.name.sender,
                            delivery_date=d.name.delivery_date, sha256=d.sha256, outcome="loaded",
                            loaded_at=loaded_at, run_id=tx.run_id)
        profile = FileProfile(source.name, d.file_name)
        out.append((record, profile))
        previous_rows = deliveries.previous_rows(source.name, d.name.sender, (d.name.delivery_date, d.file_name))
        try:
            with clock.step("read"):
                read = _read(d, file_no, source, record, tx, con)
        except Unreadable as exc:
            record.outcome, record.reason = "rejected", scrub(str(exc))
            record.rows_loaded = record.rows_quarantined = record.rows_duplicate = 0
            continue
        deliveries.add(d, read.rows_read)      # later files of this run compare against this one
        loaded_shas.add(d.sha256)
        files.append((batch.BatchFile(file_no, d.load_id, d.file_name, d.name.sender, d.name.delivery_date, read,
                                      previous_rows), record, profile))
    if files:
        _stage_batch(source, files, tx, key, reference_dir, con, clock)
    return out


def _stage_batch(source: Source, files: list[tuple[batch.BatchFile, LoadRecord, FileProfile]], tx: Transaction,
                 key: PseudonymKey, reference_dir: Path, con: duckdb.DuckDBPyConnection, clock: StepClock) -> None:
    """Everything after reading, for the batch's readable ``files``: fills in their records and profiles."""
    read_files = [f for f, _, _ in files]
    with clock.step("check"):
        batch.stack(con, source, read_files)
        make_checked(con, source)
        # the text rows are in ``typed`` now; free their memory before staging sorts the batch
        batch.free_rows(con, [f.read.table for f in read_files])
    with clock.step("count"):
        counts = profiles.checked_counts(con, source, [f.file_no for f in read_files])
    with clock.step("profile_raw"):
        for f, record, profile in files:
            profile.raw = profiles.raw_profile(counts[f.file_no], source, set(f.read.columns), f.file_name,
                                               f.delivery_date, f.previous_rows)
    with clock.step("pseudonymise_stage"):
        batch.stage(con, source, staging_select(source), key.pads())
        for f, record, _ in files:
            record.staged_relpath = f"staging/{source.name}/{f.load_id}.parquet"
        batch.write_staged(con, source, read_files,
                           {f.file_no: tx.add_file(record.staged_relpath) for f, record, _ in files})
    with clock.step("profile_staged"):
        staged = profiles.staged_profiles(con, source, [(str(tx.tmp / record.staged_relpath), f.file_name)
                                                        for f, record, _ in files])
        for f, _, profile in files:
            profile.staged = staged[f.file_name]
    with clock.step("quarantine"):
        for f, record, _ in files:
            c = counts[f.file_no]
            record.rows_duplicate, record.rows_loaded = c.duplicates, c.loaded
            record.rows_quarantined = c.quarantined + len(f.read.malformed)
        quarantined = [(f, record) for f, record, _ in files if record.rows_quarantined]
        if quarantined:
            batch.quarantine(con, source, read_files)
            batch.write_per_file(con, batch.QUARANTINED, {
                f.file_no: tx.add_file(f"quarantine/{source.name}/{f.load_id}.parquet") for f, _ in quarantined})
        for f, record in quarantined:
            reasons = dict(counts[f.file_no].reasons)
            for _, error in f.read.malformed:
                reasons[f"malformed_row:{error}"] = reasons.get(f"malformed_row:{error}", 0) + 1
            record.quarantine_reasons = json.dumps(dict(sorted(reasons.items())))
    with clock.step("unknown_codes"):
        unknown = _unknown_codes(con, source, reference_dir)
        for f, record, _ in files:
            record.unknown_codes = unknown.get(f.file_no)


def _duplicate_file(d: Delivery, loaded_at: dt.datetime, run_id: str) -> LoadRecord:
    return LoadRecord(load_id=d.load_id, file_name=d.file_name, source=d.name.source, sender=d.name.sender,
                      delivery_date=d.name.delivery_date, sha256=d.sha256, outcome="duplicate_file",
                      reason="same bytes (SHA-256) as a file already loaded", loaded_at=loaded_at, run_id=run_id)


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


def batches(files: list[tuple[int, Delivery]], budget: int = BATCH_BYTES) -> list[list[tuple[int, Delivery]]]:
    """The files to read, as batches: per source, in load order, each at most ``budget`` bytes (a
    larger file is a batch of its own).

    Byte-identical files decide each other (the first in load order that reads loads, the next is
    ``duplicate_file``), so a file repeating the bytes of an earlier file *of another source* waits
    for a batch after all others: by then the earlier one has been read. (Only such a file sees its
    own source's later files before it in ``rows_vs_previous``; docs/ingest.md.)
    """
    out: list[list[tuple[int, Delivery]]] = []
    open_batch: dict[str, tuple[list, int]] = {}      # source → (its last batch, bytes in it)
    first_source: dict[str, str] = {}                 # sha256 → source of its first file
    later: list[list[tuple[int, Delivery]]] = []
    for i, d in files:
        source = d.name.source
        if first_source.setdefault(d.sha256, source) != source:
            later.append([(i, d)])
            continue
        size = d.path.stat().st_size
        batch, used = open_batch.get(source, (None, 0))
        if batch is None or (batch and used + size > budget):
            batch, used = [], 0
            out.append(batch)
        batch.append((i, d))
        open_batch[source] = (batch, used + size)
    return out + later


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
    records: dict[int, LoadRecord] = {}        # position in ``found`` → its load record
    to_read: list[tuple[int, Delivery]] = []
    for i, d in enumerate(found):
        if d.arrived:
            result.hashed.append((d.arrived.key, d.sha256))
        if (d.file_name, d.sha256) in seen:
            result.skipped += 1
            continue
        seen.add((d.file_name, d.sha256))
        if d.name is None:
            records[i] = LoadRecord(load_id=d.load_id, file_name=d.file_name, source=None, sender=None,
                                    delivery_date=None, sha256=d.sha256, outcome="rejected",
                                    reason=mask_identifiers(d.bad_name or ""), loaded_at=loaded_at, run_id=tx.run_id)
        elif d.sha256 in loaded_shas:
            records[i] = _duplicate_file(d, loaded_at, tx.run_id)
        else:
            to_read.append((i, d))
    # a connection per batch; its spill files hold raw identifiers, so they go to the run's private
    # scratch folder, never into the warehouse
    workdir = tx.scratch / "ingest"
    try:
        for group in batches(to_read):
            with clock.step("connect"):
                workdir.mkdir(mode=0o700, exist_ok=True)
                con = _connect(workdir)
            try:
                done = ingest_batch([d for _, d in group], tx, key, reference_dir, loaded_at, deliveries,
                                    loaded_shas, con, clock)
            finally:
                with clock.step("cleanup"):
                    con.close()
            for (i, _), (record, profile) in zip(group, done):
                records[i] = record
                if profile is not None and profile.raw is not None:
                    result.profiles.append(profile)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.records = [records[i] for i in sorted(records)]
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
