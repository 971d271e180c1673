"""The quality layer: Great Expectations suites for every source, staged source, core table and mart.

The pipeline opens one :class:`QualityRun` per run and hands it what each stage produced:

* ``run.check_files(profiles)`` — ingest passes it in as its file check: the raw and staged
  profiles ingest computed per file (:class:`~soepel_etl.schema.profiles.FileProfile`) are validated
  with one GX validation per suite; a file that fails a critical expectation is rejected by ingest,
  the others load (only a failure no file caused raises :class:`QualityFailure`);
* ``check_build(run, frames)`` — the reductions of core tables and marts the build computed;
* ``run.publish()`` — before commit: Data Docs + this run's results under ``_meta/quality/``.

See docs/quality.md.
"""

from __future__ import annotations

from ..warehouse.transaction import Transaction
from .policy import CRITICAL, WARNING
from .runner import QualityFailure, QualityRun

__all__ = ["QualityFailure", "QualityRun", "CRITICAL", "WARNING", "open_run", "check_build"]

# Until build() returns its reductions instead of validating them itself (issue 13, point 2), the
# build finds the run the pipeline opened for its transaction here; nothing else uses this.
_open_runs: dict[str, QualityRun] = {}


def open_run(tx: Transaction) -> QualityRun:
    """The quality run of one pipeline run (the pipeline opens it and passes it on)."""
    run = QualityRun(tx)
    _open_runs[tx.run_id] = run
    return run


def close_run(run: QualityRun) -> None:
    _open_runs.pop(run.tx.run_id, None)


def check_build(run: QualityRun | Transaction, frames: dict) -> None:
    """Validate the reductions of core tables and marts (``core_<table>``/``marts_<table>`` → DataFrame,
    computed by the build with :mod:`.reductions` while each table is at hand)."""
    if isinstance(run, Transaction):
        run = _open_runs.get(run.run_id) or QualityRun(run)
    run.check("build", frames)
