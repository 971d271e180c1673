"""Adapters between Airflow tasks and the ``soepel_etl.pipeline`` stage functions.

Each function resolves settings (``config.resolve_settings``), calls exactly one package function
inside :func:`errors.stage`, and returns only JSON-able, non-secret values for XCom: file names,
outcomes, counts, dates, paths. The key stays inside the task process.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .config import resolve_paths, resolve_settings, settle_seconds
from .errors import stage

log = logging.getLogger("soepel_airflow")

# how long an ingest or build waits for the warehouse lock before WarehouseBusy (then: retry with back-off)
LOCK_WAIT_SECONDS = 15 * 60
# the interventies of a batch are judged against the participant register, so they load last
LAST_SOURCES = ("interventies",)
# a mapped ingest task loads the new files of one source up to this many bytes: a national werk
# delivery (~1 GB) is a task of its own, the demo's ~300 small files are five tasks
BATCH_BYTES = 256 * 1024 * 1024
LOAD_COUNTS = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_excluded")


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def find_batches(params: Mapping[str, Any]) -> dict[str, Any]:
    """New landing-zone files, as batches to map over, plus the reference date every batch must use.

    A batch is the new files of one source (the landing zone's folder), split by a size budget
    (:data:`BATCH_BYTES`), loaded in one transaction: a task costs seconds of fixed work (process,
    imports, lock, commit, Data Docs, lineage) whatever its size, so one task per file made that cost
    dominate (docs/airflow.md). Byte-identical files stay in one batch (the first in load order
    loads, the others become ``duplicate_file``, and parallel tasks cannot swap them).
    ``registers`` holds every batch but those of ``interventies``, which come in ``interventies``:
    they are excluded or kept by the participant register, so they load after all ``deelnemers``.
    """
    from soepel_etl import pipeline

    settings = resolve_settings(params)
    with stage("finding new files", settings.warehouse):
        hashed = pipeline.new_files_hashed(settings, settle_seconds=settle_seconds(params))
        files = [rel for rel, _ in hashed]
        reference_date = pipeline.batch_reference_date(settings, files)
        groups: dict[str, list[tuple[str, int]]] = {}
        for rel, sha in hashed:                # in load order; dicts keep it
            groups.setdefault(sha, []).append((rel, (settings.landing / rel).stat().st_size))
    registers, last = [], []
    for batch in _by_source(groups):
        (last if batch["source"] in LAST_SOURCES else registers).append(batch)
    log.info("%d new file(s) in %s: %d batch(es) first, %d interventies batch(es) after; reference date %s",
             len(files), settings.landing, len(registers), len(last), _iso(reference_date) or "-")
    return {"registers": registers, "interventies": last, "reference_date": _iso(reference_date),
            "files": len(files)}


def _source_of(rel: str) -> str:
    parts = Path(rel).parts
    return parts[0] if len(parts) > 1 else ""      # a file in the landing zone's root: rejected by name


def _by_source(groups: Mapping[str, list[tuple[str, int]]]) -> list[dict]:
    """Pack groups of byte-identical files into batches: per source, in load order, each batch at
    most BATCH_BYTES (a single larger group is a batch of its own)."""
    batches: list[dict] = []
    open_batch: dict[str, dict] = {}
    for sha, members in groups.items():
        source = _source_of(members[0][0])
        size = sum(n for _, n in members)
        batch = open_batch.get(source)
        if batch is None or (batch["bytes"] and batch["bytes"] + size > BATCH_BYTES):
            batch = open_batch[source] = {"source": source, "files": [], "sha256": [], "bytes": 0}
            batches.append(batch)
        batch["files"] += [rel for rel, _ in members]
        batch["sha256"] += [sha] * len(members)
        batch["bytes"] += size
    return batches


def batch_label(batch: Mapping[str, Any]) -> str:
    """What the UI shows for a mapped ingest task: the source and its files (identifiers masked)."""
    from soepel_etl.privacy import mask_identifiers

    files = [Path(f).name for f in batch["files"]]
    if len(files) == 1:
        return mask_identifiers(batch["files"][0])
    return mask_identifiers(f"{batch.get('source') or 'landing root'}: {len(files)} files ({files[0]} … {files[-1]})")


def ingest_batch(params: Mapping[str, Any], batch: Mapping[str, Any], reference_date: str | None) -> list[dict]:
    """Load one batch in its own all-or-nothing transaction; return its rows of ``_meta/loads``, one
    per file (each file's outcome is also a line of the task's log)."""
    from soepel_etl import pipeline
    from soepel_etl.pipeline import read_loads
    from soepel_etl.privacy import mask_identifiers

    settings = resolve_settings({**params, "reference_date": reference_date or params.get("reference_date")})
    with stage(f"ingest of {batch_label(batch)}", settings.warehouse):
        summary = pipeline.ingest_files(settings, list(batch["files"]), wait_seconds=LOCK_WAIT_SECONDS)
        for line in summary.lines():
            log.info("%s", line)
        # read back from the manifest, so that a retry after a committed try reports the same outcome
        wanted = {(mask_identifiers(Path(f).name), sha): mask_identifiers(f)
                  for f, sha in zip(batch["files"], batch["sha256"])}
        rows = [r for r in read_loads(settings.warehouse).to_pylist() if (r["file_name"], r["sha256"]) in wanted]
    # run_id, load_id and the (masked) landing path: what the task's lineage names (lineage.py)
    out = [{"file_name": r["file_name"], "path": wanted[(r["file_name"], r["sha256"])], "source": r["source"],
            "outcome": r["outcome"], "reason": r["reason"], "delivery_date": _iso(r["delivery_date"]),
            "run_id": r["run_id"], "load_id": r["load_id"], **{k: int(r[k] or 0) for k in LOAD_COUNTS}}
           for r in rows]
    for r in out:
        log.info("file %s: %s%s (%d rows read, %d loaded)", r["path"], r["outcome"],
                 f" ({r['reason']})" if r["reason"] else "", r["rows_read"], r["rows_loaded"])
    return out


def loaded_sources(results: Iterable[Iterable[dict]]) -> dict[str, dict[str, Any]]:
    """Per source that loaded at least one file: its files and rows loaded (what the source asset says)."""
    out: dict[str, dict[str, Any]] = {}
    for records in results:
        for r in records or []:
            if r["outcome"] == "loaded" and r["source"]:
                s = out.setdefault(r["source"], {"files": [], "rows_loaded": 0})
                s["files"].append(r["file_name"])
                s["rows_loaded"] += r["rows_loaded"]
    return dict(sorted(out.items()))


def outcome_counts(results: Iterable[Iterable[dict]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for records in results:
        for r in records or []:
            counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    return dict(sorted(counts.items()))


def reference_date_from_events(triggering_asset_events: Any) -> str | None:
    """The reference date the ingest runs that triggered this run used (the latest, if several)."""
    dates = []
    for events in (triggering_asset_events or {}).values():
        for event in events:
            value = (getattr(event, "extra", None) or {}).get("reference_date")
            if value:
                dates.append(str(value))
    return max(dates) if dates else None


def build(params: Mapping[str, Any], reference_date: str | None) -> dict[str, Any]:
    """Rebuild core tables and marts (skipped when nothing they depend on changed, unless forced)."""
    from soepel_etl import pipeline

    settings = resolve_settings({**params, "reference_date": reference_date})
    with stage("build of core tables and marts", settings.warehouse):
        summary = pipeline.build_only(settings, force=bool(params.get("force")), wait_seconds=LOCK_WAIT_SECONDS)
    for line in summary.lines():
        log.info("%s", line)
    return {"built": summary.build is not None, "run_id": summary.run_id,
            "reference_date": _iso(summary.reference_date),
            "rows": dict(summary.build.rows) if summary.build else {}}


def report(params: Mapping[str, Any]) -> dict[str, str]:
    """Write the monitoring report (HTML and xlsx) for the chosen audience, region and pilot."""
    paths = resolve_paths(params)
    warehouse, out = paths["warehouse"], paths["reports"]
    with stage("report", None):
        from soepel_etl.pipeline import write_report

        if not (warehouse / "marts").is_dir():
            raise FileNotFoundError(f"no marts in {warehouse}: run the build first")
        result = write_report(warehouse, out, audience=params.get("audience") or "intern",
                              rmc_region=params.get("rmc_region") or None, pilot=params.get("pilot") or None)
    written = {str(k): str(v) for k, v in (result or {}).items()}
    for kind, path in written.items():
        log.info("report %s: %s", kind, path)
    return written


SIGNAL_LIST_PREFIX = "signaallijst"


def signal_list(params: Mapping[str, Any]) -> dict[str, Any]:
    """Answer an RMC's BSN list into the report folder; XCom gets the path and counts, never a BSN."""
    from .config import key_text

    bsn_list = Path(str(params.get("bsn_list") or ""))
    paths = resolve_paths(params)
    warehouse, reports = paths["warehouse"], paths["reports"]
    out = reports / f"{SIGNAL_LIST_PREFIX}-{bsn_list.stem}{bsn_list.suffix.lower()}"
    with stage("signal list", None):
        from soepel_etl.pipeline import write_signal_list

        if not params.get("bsn_list"):
            raise FileNotFoundError("no BSN list given: trigger with the param bsn_list (a .csv or .xlsx path)")
        reports.mkdir(parents=True, exist_ok=True)
        summary = write_signal_list(warehouse, bsn_list, out, key_text())
    for line in summary.lines():
        log.info("%s", line)
    return {"out": str(summary.out), "rows": summary.rows, "invalid": summary.invalid,
            "in_monitor": summary.in_monitor, "reference_month": summary.reference_month}
