"""Failure callbacks: say what failed, with which error, and where to look next.

The task callback runs in the worker right after a task failed for good (no retries left, or a
non-retryable error); it writes one ERROR line into the task log (the UI shows it on the task) that
names the DAG, the task (and mapped batch), the error, and the places that explain it. The DAG
callback writes a shorter line into the DAG processor's log when a whole run failed.
"""

from __future__ import annotations

import logging
from typing import Any

from .config import resolve_paths

log = logging.getLogger("soepel_airflow.failure")

# where to look, per task: what the task wrote and what explains a failure there
WHERE_TO_LOOK = {
    "find_new_files": "the landing zone {landing} (is it mounted and readable?) and the manifest {warehouse}/_meta/loads",
    "ingest_registers": "the landing zone file named in the map index, {warehouse}/rejected/ and {warehouse}/_meta/loads",
    "ingest_interventies": "the landing zone file named in the map index, {warehouse}/rejected/ and the participant "
                           "register in {warehouse}/staging/deelnemers",
    "publish_source_assets": "the mapped ingest tasks' return values (XCom) of this run",
    "build_core_and_marts": "{warehouse}/staging (a corrupt or foreign Parquet file?), {warehouse}/_meta/builds and "
                            "the reference folder {reference}",
    "write_reports": "{warehouse}/marts and the report folder {reports}",
}


def _where(task_id: str, params: Any) -> str:
    paths = {k: str(v) for k, v in resolve_paths(params).items()}
    paths.setdefault("reference", "(shipped reference data)")
    template = WHERE_TO_LOOK.get(task_id, "{warehouse}")
    try:
        return template.format(**paths)
    except KeyError:
        return template


def task_failed(context: dict) -> None:
    """``on_failure_callback`` of every task: what failed (the whole scrubbed cause) and where to look."""
    from soepel_etl.privacy import scrub

    ti = context.get("ti") or context.get("task_instance")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    exc = context.get("exception")
    error = f"{type(exc).__name__}: {scrub(str(exc))}" if exc else "unknown error"
    mapped = f" [map index {map_index}]" if map_index is not None and map_index >= 0 else ""
    log.error(
        "SOEPEL FAILURE: DAG %s, task %s%s, run %s, try %s failed: %s. Look at: %s; the task log%s; "
        "the warehouse run logs in <warehouse>/_meta/logs/; runbook: docs/airflow.md ('When a run fails').",
        getattr(ti, "dag_id", "?"), task_id, mapped, getattr(ti, "run_id", "?"), getattr(ti, "try_number", "?"),
        error, _where(task_id, context.get("params")),
        f" ({ti.log_url})" if getattr(ti, "log_url", None) else "",
    )


def dag_failed(context: dict) -> None:
    """``on_failure_callback`` of the DAGs: the run failed; the task callback has the details."""
    dag_run = context.get("dag_run")
    log.error("SOEPEL FAILURE: DAG run %s of %s failed (%s); see the failed task's log for what and where.",
              getattr(dag_run, "run_id", "?"), getattr(dag_run, "dag_id", "?"), context.get("reason", "a task failed"))
