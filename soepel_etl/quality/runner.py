"""The GX runner: each run validates with the process's GX context (:mod:`.context`: imported and
built once per process, fed by the GX project shipped in the package) and writes validation results
and Data Docs into the run's Transaction under ``_meta/quality/``, so they commit with the run (or
vanish with it). Analytics are off and nothing touches the network.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..privacy import scrub
from ..schema.profiles import FileProfile
from ..warehouse.transaction import Transaction
from . import context
from .offline_docs import make_offline
from .policy import BATCH_COLUMN, CRITICAL, RESULT_FORMAT, WARNING, severity_of, waived_batches

log = logging.getLogger(__name__)

QUALITY = "_meta/quality"
# in the Data Docs folder: the digest of the suites its pages were rendered from (context._digest)
DOCS_SUITES = "suites.sha256"
STATUS_PAGE = f"{QUALITY}/status.html"     # written by `soepel-etl status`, linked from the intern report


class QualityFailure(RuntimeError):
    """A critical expectation failed: the stage stops and the run rolls back."""


@dataclass
class Failure:
    suite: str
    expectation: str       # type and column(s)
    why: str
    severity: str          # critical | warning | waived
    batches: list[str]     # the files or tables whose rows failed
    unexpected: int | None
    per_batch: bool = True  # False: a rule about the reduction as a whole (its shape), no batch to blame

    def line(self) -> str:
        where = ", ".join(self.batches) or "-"
        return f"[{self.severity}] {self.suite}: {self.expectation} — {self.why} ({where})"


@dataclass
class SuiteRun:
    suite: str
    stage: str
    success: bool
    evaluated: int
    batches: int
    seconds: float
    failures: list[Failure] = field(default_factory=list)


def _describe(config: dict) -> str:
    kw = config.get("kwargs", {})
    cols = kw.get("column") or (f"{kw['column_A']}/{kw['column_B']}" if "column_A" in kw else None) \
        or ("+".join(kw["column_list"]) if "column_list" in kw else None)
    return f"{config['type']}({cols})" if cols else config["type"]


class QualityRun:
    """Everything the quality layer does in one run: context, pending reductions, outcomes."""

    def __init__(self, tx: Transaction):
        self.tx = tx
        self.runs: list[SuiteRun] = []
        self._run_folders: tuple[Path, Path] | None = None    # this run's results and Data Docs folders
        self._validated: list = []       # this run's validation result identifiers (GX), for Data Docs
        self.waived = waived_batches()
        self.gx_seconds = 0.0

    # -- GX --------------------------------------------------------------------------------------
    def _folders(self) -> tuple[Path, Path]:
        """This run's folders for validation results and Data Docs (made on first use)."""
        if self._run_folders is None:
            results = self.tx.replace_table(f"{QUALITY}/validations")
            previous = self.tx.root / QUALITY / "validations"
            if previous.is_dir():     # keep the last validation of suites not run this time
                shutil.copytree(previous, results, dirs_exist_ok=True)
            docs = self.tx.replace_table(f"{QUALITY}/data_docs")
            previous = self.tx.root / QUALITY / "data_docs"
            stamp = previous / DOCS_SUITES
            # and their pages, if rendered from these suites: publish() renders only what this run
            # validated; pages of other suites are not carried over, and publish() renders them all
            if stamp.is_file() and stamp.read_text(encoding="utf-8") == context.shared().digest:
                shutil.copytree(previous, docs, dirs_exist_ok=True)
            self._run_folders = (results, docs)
        return self._run_folders

    @property
    def _docs(self) -> Path:
        return self._folders()[1]

    def _shared(self) -> context.SharedContext:
        """The process's GX context, pointed at this run's folders (call with context.lock() held)."""
        shared = context.shared()
        shared.use(*self._folders())
        return shared

    def validate(self, stage: str, suite_name: str, frame: pd.DataFrame) -> SuiteRun:
        started = time.perf_counter()
        with context.lock():
            checkpoint = self._shared().checkpoint(stage, suite_name)
            # the last validation of each suite is the one Data Docs show: drop older ones (and
            # their pages) first
            results, docs = self._folders()
            shutil.rmtree(results / suite_name, ignore_errors=True)
            shutil.rmtree(docs / "validations" / suite_name, ignore_errors=True)
            result = checkpoint.run(batch_parameters={"dataframe": frame})
        self._validated += list(result.run_results)
        (suite_result,) = result.run_results.values()
        run = SuiteRun(suite_name, stage, bool(suite_result.success),
                       int(suite_result.statistics["evaluated_expectations"]), len(frame),
                       round(time.perf_counter() - started, 3))
        for r in suite_result.results:
            if r.success:
                continue
            config = r.expectation_config.to_json_dict()
            res = r.result or {}
            batches = sorted({str(v) for item in res.get("unexpected_index_list") or []
                              for v in (item.get(BATCH_COLUMN) if isinstance(item, dict) else [])
                              for v in (v if isinstance(v, list) else [v])})
            per_batch = bool(batches)
            if not batches and not res.get("unexpected_index_list"):
                batches = sorted(set(frame[BATCH_COLUMN].astype(str))) if BATCH_COLUMN in frame else []
            severity = severity_of(config.get("meta"))
            if severity == CRITICAL and batches and set(batches) <= self.waived:
                severity = "waived"
            run.failures.append(Failure(suite_name, _describe(config), config.get("meta", {}).get("why", ""),
                                        severity, batches, res.get("unexpected_count"), per_batch))
        self.runs.append(run)
        self.gx_seconds += run.seconds
        for f in run.failures:
            (log.error if f.severity == CRITICAL else log.warning)("quality %s", scrub(f.line()))
        return run

    # -- stages ----------------------------------------------------------------------------------
    def check(self, stage: str, frames: dict[str, pd.DataFrame]) -> None:
        failed = []
        for suite, frame in frames.items():
            run = self.validate(stage, suite, frame)
            failed += [f for f in run.failures if f.severity == CRITICAL]
        if failed:
            raise QualityFailure(f"{stage}: critical expectation(s) failed, the run stops and the warehouse "
                                 "stays as it was:\n  " + "\n  ".join(f.line() for f in failed))

    def check_files(self, profiles: list[FileProfile]) -> dict[str, str]:
        """Validate the profiles of the files this run loaded; return ``{file name: reason}`` for each
        file that failed a critical expectation on its own contents (ingest rejects it; the others
        load). Raises only for a failure no single file caused (the reduction's shape: a bug),
        because then no file can be trusted."""
        rows: dict[str, list[dict]] = {}
        for p in profiles:
            for prefix, row in (("raw", p.raw), ("staged", p.staged)):
                if row is not None:
                    rows.setdefault(f"{prefix}_{p.source}", []).append(row)
        per_file: dict[str, list[Failure]] = {}
        whole = []
        for suite in sorted(rows, key=lambda name: (not name.startswith("raw_"), name)):
            for f in self.validate("ingest", suite, pd.DataFrame(rows[suite])).failures:
                if f.severity != CRITICAL:
                    continue
                if not f.per_batch:
                    whole.append(f)
                for batch in f.batches:
                    per_file.setdefault(batch, []).append(f)
        if whole:
            raise QualityFailure("ingest: critical expectation(s) about the checks themselves failed, the run "
                                 "stops and the warehouse stays as it was:\n  " + "\n  ".join(f.line() for f in whole))
        return {name: "failed critical quality check(s): " + "; ".join(
                    f"{f.suite}: {f.expectation} — {f.why}" for f in found)
                for name, found in per_file.items()}

    # -- output ----------------------------------------------------------------------------------
    def publish(self) -> Path | None:
        """Build Data Docs and write this run's summary; None when nothing was validated."""
        if not self.runs:
            return None
        started = time.perf_counter()
        with context.lock():
            shared = self._shared()
            stamp = self._docs / DOCS_SUITES
            # a site carried over (_folders): rendering only this run's validations and the index
            # saves about a second per run; otherwise every page, into the empty folder
            shared.ctx.build_data_docs(resource_identifiers=self._validated if stamp.is_file() else None)
            stamp.write_text(shared.digest, encoding="utf-8")
        make_offline(self._docs)      # GX's pages load their scripts from CDNs: point them at ours
        docs_seconds = time.perf_counter() - started
        self.gx_seconds += docs_seconds
        summary = {
            "run_id": self.tx.run_id,
            "data_docs_seconds": round(docs_seconds, 3),
            "suites": [{"suite": r.suite, "stage": r.stage, "success": r.success, "evaluated": r.evaluated,
                        "batches": r.batches, "seconds": r.seconds,
                        "failures": [f.__dict__ for f in r.failures]} for r in self.runs],
        }
        self.tx.add_file(f"{QUALITY}/runs/{self.tx.run_id}.json").write_text(
            json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
        log.info("quality: %d suite validations, data docs in %.2fs, GX total %.2fs", len(self.runs),
                 docs_seconds, self.gx_seconds)
        return self.tx.root / QUALITY / "data_docs" / "index.html"

    def counts(self) -> tuple[int, int, int]:
        warnings = sum(1 for r in self.runs for f in r.failures if f.severity in (WARNING, "waived"))
        failed = sum(1 for r in self.runs if not r.success)
        return len(self.runs), failed, warnings
