"""The stage functions the CLI and the DAGs share. Each does one job; a run calls them in order.

``run`` = ingest every new file, then (from the build issue on) rebuild core and marts, all inside
one :class:`~soepel_etl.warehouse.transaction.Transaction`: the warehouse changes only when the
whole run succeeds.

This module is also the package's door for the Airflow glue (``plugins/``): besides ``settings``
(and the plain ``schema`` and ``privacy`` modules) the glue imports nothing else of the package,
so it re-exports the few names the glue needs (docs/architecture.md), among them the lineage facts
(:mod:`.lineage`) of each stage.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .extracts.arrival import SEEN_FILES, unseen, write_seen
from .extracts.filenames import BadName, parse_delivery_name
from .extracts.ingest import IngestResult, discover, ingest_landing
from .lineage import StageLineage, build_lineage, ingest_lineage, report_lineage  # noqa: F401 (Airflow glue)
from .models.build import BuildResult, build
from . import quality
from .privacy import scrub
from .settings import Settings
from .warehouse.builds import BUILDS, build_fingerprint, last_fingerprint, write_build_record
from .warehouse import changes as final_figures
from .warehouse.catalog import CATALOG, write_catalog
from .warehouse.loads import LOADS, LoadRecord, loaded_names_and_hashes, read_loads, write_part
from .warehouse.transaction import Transaction, WarehouseBusy  # noqa: F401 (Airflow glue)
from .warehouse.marker import claim as claim_warehouse  # noqa: F401 (Airflow glue: the lineage transport)

log = logging.getLogger(__name__)


SHOWN_CHANGES = 20           # changed final outflows listed in the summary (the log lists all)
RUN_UMASK = 0o077            # everything a run writes is owner-only: the warehouse holds personal data


WAREHOUSE_UNCHANGED = "the warehouse is left as it was before the run"
WAREHOUSE_COMMITTING = ("the run failed while publishing its tables; the next run finishes publishing them "
                        "(until then readers may see a mix of old and new tables)")


class LoadInvariantBroken(RuntimeError):
    """A loaded file's row counts do not add up: a bug, so the run stops before committing."""


@dataclass
class RunSummary:
    run_id: str
    reference_date: dt.date | None
    records: list[LoadRecord] = field(default_factory=list)
    skipped: int = 0
    build: BuildResult | None = None
    build_skipped: bool = False
    data_docs: object = None          # Path of the quality Data Docs when this run validated anything
    quality: tuple | None = None      # (suite validations, with failures, warnings)
    final_changes: list[dict] = field(default_factory=list)   # final figures this build changed
    late_consent: object = None       # extracts.late_consent.LateConsent of this run's ingest

    def files(self, outcome: str) -> int:
        return sum(1 for r in self.records if r.outcome == outcome)

    def rows(self, what: str) -> int:
        return sum(getattr(r, f"rows_{what}") for r in self.records if r.outcome == "loaded")

    def lines(self) -> list[str]:
        out = [
            f"run {self.run_id}  reference date {self.reference_date or '-'}",
            f"files: {self.files('loaded')} loaded, {self.files('rejected')} rejected, "
            f"{self.files('duplicate_file')} duplicate, {self.skipped} skipped (loaded before)",
            f"rows:  {self.rows('read')} read = {self.rows('loaded')} loaded + {self.rows('quarantined')} quarantined"
            f" + {self.rows('duplicate')} duplicate + {self.rows('excluded')} excluded (no consent)",
        ]
        for r in self.records:
            if r.outcome == "rejected":
                out.append(f"  rejected {r.file_name}: {r.reason}")
        late = self.late_consent
        if late is not None and (late.revisions or late.not_reread):
            out.append(f"late consent: {late.rows} row(s) excluded earlier loaded from {len(late.revisions)} "
                       f"earlier file(s)")
            out += [f"  not re-read: {line}" for line in late.not_reread]
        if self.build_skipped:
            out.append("build: nothing changed since the last build; core and marts left as they are")
        elif self.build:
            b = self.build
            out.append(f"coverage: employment {b.coverage.employment_month or '-'}, education "
                       f"{b.coverage.education_month or '-'}; risk monitor month {b.coverage.reference_month or '-'}")
            out += werk_sender_lines(b.coverage)
            out.append("built: " + ", ".join(f"{k} {v}" for k, v in b.rows.items()))
            if b.provisional_outflows is not None:
                out.append(f"outflows: {b.rows.get('marts/outflow_outcomes', 0)}, of which "
                           f"{b.provisional_outflows} provisional (month u+24 not yet observed)")
            if self.final_changes:
                out.append(f"final figures changed: {final_figures.outflows_changed(self.final_changes)} outflow(s) "
                           f"(corrections to their records; {final_figures.CHANGES}/{self.run_id}.parquet)")
                described = final_figures.describe(self.final_changes)
                out += [f"  {line}" for line in described[:SHOWN_CHANGES]]
                if len(described) > SHOWN_CHANGES:
                    out.append(f"  … and {len(described) - SHOWN_CHANGES} more (all of them in the run log)")
        if self.data_docs:
            n, failed, warnings = self.quality
            out.append(f"quality: {n} suite validations, {failed} with failures ({warnings} warning(s)); "
                       f"data docs {self.data_docs}")
        return out


def werk_sender_lines(coverage) -> list[str]:
    """Each werk sender's coverage for the run summary: which one holds the employment month back,
    and the inactive ones named as missing (spec/extracts.md: any status output names them)."""
    senders = getattr(coverage, "senders", [])
    if not senders:
        return []
    out = ["werk senders (coverage, latest delivery):"]
    for s in senders:
        others = [c for c in s.codes if c != s.sender]      # old codes of a merged municipality
        codes = f" (delivered also as {', '.join(others)})" if others else ""
        if not s.active:
            note = "MISSING: no werk delivery in the 6 months before the latest; does not hold coverage back"
        elif s.coverage_month == coverage.employment_month:
            note = "holds the employment coverage month back"
        else:
            note = "active"
        out.append(f"  {s.sender}{codes}: {s.coverage_month or '-'}, delivered {s.latest_delivery}; {note}")
    missing = [s.sender for s in senders if not s.active]
    if missing:
        out.append(f"missing werk senders: {', '.join(missing)}")
    return out


def latest_loaded_delivery(warehouse, pending: list[LoadRecord] = ()) -> dt.date | None:
    """The latest delivery date of the files loaded so far (``_meta/loads`` and this run's loads)."""
    dates = [r["delivery_date"] for r in read_loads(warehouse).to_pylist() if r["outcome"] == "loaded"]
    dates += [r.delivery_date for r in pending if r.outcome == "loaded"]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def resolve_reference_date(settings: Settings, pending: list[LoadRecord] = ()) -> dt.date | None:
    """``--reference-date`` when given, else the latest delivery date loaded so far (warehouse.md).
    Never the landing zone and never today's date: the same loads give the same numbers."""
    return settings.reference_date or latest_loaded_delivery(settings.warehouse, pending)


def batch_reference_date(settings: Settings, files: list[str]) -> dt.date | None:
    """The reference date a scheduled ingest hands every batch of one DAG run: what a single run over
    the same files would use (the loads so far and the new files' delivery dates)."""
    if settings.reference_date:
        return settings.reference_date
    dates = [latest_loaded_delivery(settings.warehouse)]
    for rel in files:
        try:
            dates.append(parse_delivery_name(Path(rel), Path(rel).parent.as_posix()).delivery_date)
        except BadName:
            pass
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def ingest(settings: Settings, tx: Transaction, checks: quality.QualityRun,
           only: list[str] | None = None) -> IngestResult:
    if not settings.landing.is_dir():
        raise FileNotFoundError(f"landing zone {settings.landing} does not exist")
    result = ingest_landing(settings.landing, tx, settings.key, settings.reference,
                            lambda pending: resolve_reference_date(settings, pending),
                            check_files=checks.check_files, only=only)
    broken = [r.file_name for r in result.records + result.late.revisions if not r.invariant_holds()]
    if broken:
        raise LoadInvariantBroken(f"row counts do not add up for: {', '.join(broken)}")
    if result.hashed:
        write_seen(tx.root, result.hashed, tx.add_file(SEEN_FILES))
    if result.records or result.late.revisions:
        # a revised file's new row version goes into this run's part (see warehouse/loads.py)
        write_part(result.records + result.late.revisions, tx.add_file(f"{LOADS}/{tx.run_id}.parquet"))
        for r in result.records:
            if r.outcome == "rejected":
                tx.add_file(f"rejected/{r.load_id}.txt").write_text(
                    f"file: {r.file_name}\nsha256: {r.sha256}\nrun: {tx.run_id}\nreason: {r.reason}\n", encoding="utf-8")
    return result


def build_stage(settings: Settings, tx: Transaction, checks: quality.QualityRun, force: bool = False,
                summary: RunSummary | None = None, pending: list[LoadRecord] = ()) -> BuildResult | None:
    """Rebuild core and marts from staging, unless nothing they depend on changed (then None).

    The reference date is ``--reference-date`` or the latest delivery date loaded so far (this run's
    loads included); it is stored with the build in ``_meta/builds``. Nothing loaded yet and no date
    given: nothing to build (None).

    Final figures the new build changes (see :mod:`soepel_etl.warehouse.changes`) are logged one by
    one, written to ``_meta/changes/<run_id>.parquet`` and put on ``summary``. ``pending``: the load
    records of this run's ingest (not committed yet).
    """
    reference_date = resolve_reference_date(settings, pending)
    if summary is not None:
        summary.reference_date = reference_date
    if reference_date is None:
        log.info("build: nothing loaded yet and no reference date given; nothing to build")
        return None
    fingerprint = build_fingerprint(tx, settings.reference, reference_date)
    if not force and fingerprint == last_fingerprint(tx.root) and (tx.root / "marts").exists():
        return None
    loads = [r for r in read_loads(tx.root).to_pylist() if r["source"] == "onderwijs" and r["outcome"] == "loaded"]
    onderwijs_dates = [r["delivery_date"] for r in loads]
    onderwijs_dates += [r.delivery_date for r in pending if r.source == "onderwijs" and r.outcome == "loaded"]
    observed = quality.BuildChecks(tx, settings.outflow_drop_max, settings.onbekend_rise_max)
    result = build(tx, settings.reference, reference_date, onderwijs_dates, observer=observed,
                   person_months_per_range=settings.person_months_per_range)
    started = time.perf_counter()
    quality.check_build(checks, observed)      # critical → raises, the run rolls back
    result.seconds["quality"] = round(time.perf_counter() - started, 2)
    write_build_record(tx, result, fingerprint)
    started = time.perf_counter()
    changed = final_figures.final_changes(tx.root / final_figures.OUTFLOWS, tx.tmp / final_figures.OUTFLOWS)
    result.seconds["final changes"] = round(time.perf_counter() - started, 2)
    log.info("build outside the tables: prepare %.1fs, quality %.1fs, final changes %.1fs",
             result.seconds["prepare"], result.seconds["quality"], result.seconds["final changes"])
    if changed:
        final_figures.write_changes(changed, tx.run_id, tx.add_file(f"{final_figures.CHANGES}/{tx.run_id}.parquet"))
        log.warning("final figures changed for %d outflow(s) by corrections to their records:",
                    final_figures.outflows_changed(changed))
        for line in final_figures.describe(changed):
            log.warning("  final figure changed: %s", line)
    if summary is not None:
        summary.final_changes = changed
    return result


def _transaction(settings: Settings, work, wait_seconds: float = 0) -> RunSummary:
    """Run ``work(tx, checks) -> RunSummary`` in one all-or-nothing transaction with its log;
    ``checks`` is the run's quality run, published before the commit."""
    umask = os.umask(RUN_UMASK)
    try:
        return _in_transaction(settings, work, wait_seconds)
    finally:
        os.umask(umask)


def _in_transaction(settings: Settings, work, wait_seconds: float) -> RunSummary:
    tx = Transaction.begin(settings.warehouse, wait_seconds=wait_seconds)
    log_handler = _run_log(tx)
    checks = quality.open_run(tx)
    try:
        if tx.recovered:
            log.warning("run %s: finished the commit of an earlier run that was interrupted", tx.run_id)
        log.info("run %s: landing %s, warehouse %s, reference %s, reference date %s", tx.run_id,
                 settings.landing, settings.warehouse, settings.reference,
                 settings.reference_date or "latest delivery loaded")
        summary = work(tx, checks)
        summary.data_docs = checks.publish()
        summary.quality = checks.counts() if summary.data_docs else None
        for line in summary.lines():
            log.info("%s", line)
        log_handler.flush()
        late = summary.late_consent
        changed = bool(summary.records) or summary.build is not None or bool(late and late.revisions)
        if not changed:
            # nothing new arrived: the warehouse stays byte for byte as it was, log included
            logging.getLogger("soepel_etl").removeHandler(log_handler)
            log_handler.close()
            tx.discard(f"_meta/logs/{tx.run_id}.log")
        # the catalog is rewritten inside the commit (lock held, journal present), so a crash while
        # writing it is finished by the next run and two runs never write it at once
        refresh_catalog = changed or tx.recovered or not (settings.warehouse / CATALOG).exists()
        tx.commit(on_applied=(lambda: write_catalog(settings.warehouse)) if refresh_catalog else None)
        return summary
    except BaseException as exc:
        outcome = (WAREHOUSE_COMMITTING if tx.committing else WAREHOUSE_UNCHANGED)
        log.error("run %s failed (%s); %s", tx.run_id, scrub(str(exc)), outcome)
        try:
            exc.warehouse_state = outcome      # for the CLI's message
        except AttributeError:
            pass
        tx.rollback()
        raise
    finally:
        logging.getLogger("soepel_etl").removeHandler(log_handler)
        log_handler.close()


def run(settings: Settings, wait_seconds: float = 0, force: bool = False) -> RunSummary:
    """Load every new file in the landing zone, then rebuild; commit only when everything succeeded.
    ``force`` rebuilds even when nothing the build depends on changed."""
    def work(tx: Transaction, checks: quality.QualityRun):
        result = ingest(settings, tx, checks)
        summary = RunSummary(tx.run_id, result.reference_date, result.records, result.skipped,
                             late_consent=result.late)
        summary.build = build_stage(settings, tx, checks, force=force, summary=summary, pending=result.records)
        summary.build_skipped = summary.build is None
        return summary

    return _transaction(settings, work, wait_seconds)


def new_files(settings: Settings, settle_seconds: float = 0) -> list[str]:
    """Landing-zone files (paths relative to it) not seen by any earlier run, in load order.

    Files still being written or modified within ``settle_seconds`` wait for a later call. Files an
    earlier run looked at (same path, size and mtime, :mod:`.extracts.arrival`) are not read again;
    only the others are hashed and checked against the loads manifest.
    """
    return [rel for rel, _ in new_files_hashed(settings, settle_seconds)]


def new_files_hashed(settings: Settings, settle_seconds: float = 0) -> list[tuple[str, str]]:
    """:func:`new_files`, each with the SHA-256 of its bytes as they were hashed to find it (a caller
    grouping byte-identical files need not read them again)."""
    fresh = unseen(settings.landing, settings.warehouse, settle_seconds)
    if not fresh:
        return []
    seen = loaded_names_and_hashes(settings.warehouse)
    return [(str(d.path.relative_to(settings.landing)), d.sha256)
            for d in discover(settings.landing, set(fresh), settle_seconds=settle_seconds)
            if (d.file_name, d.sha256) not in seen]


def ingest_files(settings: Settings, files: list[str] | None = None, wait_seconds: float = 0) -> RunSummary:
    """Load only ``files`` (relative to the landing zone; all new ones when None), without building."""
    def work(tx: Transaction, checks: quality.QualityRun):
        result = ingest(settings, tx, checks, only=files)
        return RunSummary(tx.run_id, result.reference_date, result.records, result.skipped,
                          late_consent=result.late)

    return _transaction(settings, work, wait_seconds)


def build_only(settings: Settings, force: bool = False, wait_seconds: float = 0) -> RunSummary:
    """Rebuild core tables and marts from what is staged (skipped when nothing changed, unless forced).
    Never reads the landing zone: it may be empty or archived."""
    def work(tx: Transaction, checks: quality.QualityRun):
        summary = RunSummary(tx.run_id, None)
        summary.build = build_stage(settings, tx, checks, force=force, summary=summary)
        summary.build_skipped = summary.build is None
        return summary

    return _transaction(settings, work, wait_seconds)


def warm_up() -> float:
    """Ready this process to run stages in the processes it forks: GX imported and its context
    built (Airflow's task parents, soepel_airflow/warm_up.py); the seconds it took, 0 when ready."""
    return quality.context.warm_up()


def write_report(warehouse: Path, out: Path, **selection) -> dict:
    """The report stage (``soepel_etl.report.write_report``), imported when asked for: a run that
    only loads and builds never loads the report's plotting libraries."""
    from .report import write_report as write

    return write(warehouse, out, **selection)


def write_signal_list(warehouse: Path, bsn_list: Path, out: Path, key_text: str):
    """The signal list (``soepel_etl.signal_list``) for an RMC's BSN list, written to ``out`` only."""
    from .identity.pseudonyms import PseudonymKey
    from .signal_list import write_signal_list as write

    return write(warehouse, bsn_list, out, PseudonymKey.from_text(key_text))


def _run_log(tx: Transaction) -> logging.Handler:
    """Each run's log lands in the warehouse as ``_meta/logs/<run_id>.log`` (it commits with the run)."""
    path = tx.add_file(f"_meta/logs/{tx.run_id}.log")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    pkg = logging.getLogger("soepel_etl")
    pkg.addHandler(handler)
    pkg.setLevel(logging.INFO)
    return handler
