"""The quality layer: Great Expectations suites for every source, staged source, core table and mart.

Hooks the pipeline calls (each a no-op when nothing is validated):

* ``record_raw`` / ``record_staged`` — in ``ingest_file``: reduce the file in DuckDB (cheap) and keep
  the one-row profile; ``check_ingest`` — after the ingest stage: validate all profiles of the run
  with one GX validation per suite; a file that fails a critical expectation is rejected by ingest,
  the others load (only a failure no file caused raises :class:`QualityFailure`);
* ``check_build`` — at the end of ``build``: validate core tables and marts before commit;
* ``publish`` — before commit: Data Docs + this run's results under ``_meta/quality/``.

See docs/quality.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..schema.contracts import SOURCES
from ..warehouse.transaction import Transaction
from .policy import CRITICAL, WARNING
from .runner import QualityFailure, QualityRun

__all__ = ["QualityFailure", "QualityRun", "CRITICAL", "WARNING", "session", "record_raw", "record_staged",
           "check_ingest", "check_build", "publish"]


def session(tx: Transaction) -> QualityRun:
    run = getattr(tx, "_quality", None)
    if run is None:
        run = QualityRun(tx)
        tx._quality = run
    return run


def record_raw(tx: Transaction, con, source: str, present: set[str], file_name: str, sender: str,
               delivery_date: dt.date) -> None:
    from .reductions import raw_profile

    q = session(tx)
    previous = q.previous_rows(source, sender, (delivery_date, file_name))
    profile = raw_profile(con, SOURCES[source], present, file_name, delivery_date, previous)
    q.raw.setdefault(source, []).append(profile)
    # later files of this run compare against this one
    q._previous_loads.append(((delivery_date, file_name), source, sender, profile["rows_read"]))


def record_staged(tx: Transaction, con, source: str, path: Path, file_name: str) -> None:
    from .reductions import staged_profile

    session(tx).staged.setdefault(source, []).append(staged_profile(con, SOURCES[source], str(path), file_name))


def check_ingest(tx: Transaction, records) -> dict[str, str]:
    """Validate the run's loaded files; return ``{file name: reason}`` for each file that failed a
    critical expectation on its own contents (the caller rejects it; the other files load)."""
    q = getattr(tx, "_quality", None)
    if q is None:
        return {}
    failures = q.check_ingest({r.file_name for r in records if r.outcome == "loaded"})
    return {name: "failed critical quality check(s): " + "; ".join(
                f"{f.suite}: {f.expectation} — {f.why}" for f in found)
            for name, found in failures.items()}


def check_build(tx: Transaction, frames: dict) -> None:
    """Validate the reductions of core tables and marts (``core_<table>``/``marts_<table>`` → DataFrame,
    computed by the build with :mod:`.reductions` while each table is at hand)."""
    session(tx).check("build", frames)


def publish(tx: Transaction) -> Path | None:
    q = getattr(tx, "_quality", None)
    return q.publish() if q is not None else None
