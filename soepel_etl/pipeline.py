"""The stage functions the CLI and the DAGs share. Each does one job; a run calls them in order.

``run`` = ingest every new file, then (from the build issue on) rebuild core and marts, all inside
one :class:`~soepel_etl.warehouse.transaction.Transaction`: the warehouse changes only when the
whole run succeeds.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from .extracts.ingest import IngestResult, ingest_landing, latest_delivery_date
from .privacy import scrub
from .settings import Settings
from .warehouse.loads import LOADS, LoadRecord, write_part
from .warehouse.transaction import Transaction, write_atomic

log = logging.getLogger(__name__)


class LoadInvariantBroken(RuntimeError):
    """A loaded file's row counts do not add up: a bug, so the run stops before committing."""


@dataclass
class RunSummary:
    run_id: str
    reference_date: dt.date | None
    records: list[LoadRecord] = field(default_factory=list)
    skipped: int = 0

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
        return out


def resolve_reference_date(settings: Settings) -> dt.date | None:
    return settings.reference_date or latest_delivery_date(settings.landing)


def ingest(settings: Settings, tx: Transaction, reference_date: dt.date | None) -> IngestResult:
    result = ingest_landing(settings.landing, tx, settings.key, settings.reference,
                            reference_date or dt.date.today())
    broken = [r.file_name for r in result.records if not r.invariant_holds()]
    if broken:
        raise LoadInvariantBroken(f"row counts do not add up for: {', '.join(broken)}")
    if result.records:
        write_part(result.records, tx.add_file(f"{LOADS}/{tx.run_id}.parquet"))
        for r in result.records:
            if r.outcome == "rejected":
                tx.add_file(f"rejected/{r.load_id}.txt").write_text(
                    f"file: {r.file_name}\nsha256: {r.sha256}\nrun: {tx.run_id}\nreason: {r.reason}\n", encoding="utf-8")
    return result


def run(settings: Settings) -> RunSummary:
    """Load every new file in the landing zone; commit only when everything succeeded."""
    if not settings.landing.is_dir():
        raise FileNotFoundError(f"landing zone {settings.landing} does not exist")
    reference_date = resolve_reference_date(settings)
    tx = Transaction.begin(settings.warehouse)
    log_handler = _run_log(tx)
    try:
        log.info("run %s: landing %s, warehouse %s, reference %s, reference date %s", tx.run_id,
                 settings.landing, settings.warehouse, settings.reference, reference_date)
        result = ingest(settings, tx, reference_date)
        summary = RunSummary(tx.run_id, reference_date, result.records, result.skipped)
        for line in summary.lines():
            log.info("%s", line)
        log_handler.flush()
        if not result.records:
            # nothing new arrived: the warehouse stays byte for byte as it was, log included
            logging.getLogger("soepel_etl").removeHandler(log_handler)
            log_handler.close()
            tx.discard(f"_meta/logs/{tx.run_id}.log")
        tx.commit()
        return summary
    except BaseException as exc:
        log.error("run %s failed, warehouse left as it was: %s", tx.run_id, scrub(str(exc)))
        tx.rollback()
        raise
    finally:
        logging.getLogger("soepel_etl").removeHandler(log_handler)
        log_handler.close()


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
