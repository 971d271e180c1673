"""The quality layer: Great Expectations suites for every source, staged source, core table and mart.

The pipeline opens one :class:`QualityRun` per run and hands it what each stage produced:

* ``run.check_files(profiles)`` — ingest passes it in as its file check: the raw and staged
  profiles ingest computed per file (:class:`~soepel_etl.schema.profiles.FileProfile`) are validated
  with one GX validation per suite; a file that fails a critical expectation is rejected by ingest,
  the others load (only a failure no file caused raises :class:`QualityFailure`);
* ``BuildChecks`` — the build's observer: the reductions of core tables and marts, computed while
  each is at hand; ``check_build(run, checks)`` validates them;
* ``run.publish()`` — before commit: Data Docs + this run's results under ``_meta/quality/``.

GX is imported and its context built once per process (:mod:`.context`), not once per run.

See docs/quality.md.
"""

from __future__ import annotations

from ..warehouse.transaction import Transaction
from . import context
from .build_checks import BuildChecks
from .policy import CRITICAL, WARNING
from .runner import QualityFailure, QualityRun

__all__ = ["BuildChecks", "QualityFailure", "QualityRun", "CRITICAL", "WARNING", "open_run", "check_build",
           "context"]


def open_run(tx: Transaction) -> QualityRun:
    """The quality run of one pipeline run (the pipeline opens it and passes it on)."""
    return QualityRun(tx)


def check_build(run: QualityRun, checks: BuildChecks) -> None:
    """Validate the reductions of core tables and marts the build's observer collected
    (``core_<table>``/``marts_<table>``/``regression_<check>`` → DataFrame)."""
    run.check("build", checks.frames)
