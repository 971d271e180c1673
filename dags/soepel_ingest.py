"""
### Soepel ETL — ingest: landing zone → staging

Every 30 minutes (and whenever triggered) this DAG looks for files in the landing zone that no
earlier run has seen (name + SHA-256 against `_meta/loads`) and loads them per source (a task per
source, split when a source's new files exceed 256 MB), each batch in one all-or-nothing transaction —
the same code as `soepel-etl run`, without the build. Each file's outcome is a line of the task's log
and a row of its return value. Files still being
written (`*.part`, `*.tmp`, `*.filepart`, `.*`) or modified within the settle period (60 s) are left
for a later run; files an earlier run hashed (same path, size and mtime) are not read again.

| task | what it does | where its output lands |
|---|---|---|
| `find_new_files` | lists the new files in load order, batches them per source (byte-identical files always together), fixes the reference date for the whole run | XCom: batches of landing-relative paths, the reference date |
| `register_batches`, `interventies_batches` | pick each stage's batches out of that result (Airflow maps over a list) | XCom |
| `ingest_registers` | one mapped task per batch (a source's new files; every source but `interventies`): read, check, quarantine, pseudonymise, stage | `<warehouse>/staging/<source>/`, `quarantine/`, `rejected/`, `_meta/loads/`, `_meta/logs/` |
| `ingest_interventies` | the same for `interventies`, after all registers: rows without valid consent in the participant register are excluded | `<warehouse>/staging/interventies/` |
| `publish_source_assets` | emits the asset `soepel_staging_<source>` for each source that loaded a file, with the files and reference date as extra | asset events → the `soepel_build` DAG |

Mapped tasks wait for the warehouse lock (up to 15 minutes) instead of failing; a lock still held
after that, or an I/O error, is retried with exponential back-off. A file that is bad is *not* a
failure: it is `rejected` in `_meta/loads` with its reason, and the run succeeds. A task fails (no
retry) only when the configuration is wrong or the run itself breaks; the warehouse is then as it
was. Re-running is safe: files already seen are skipped.

Params: `reference_date` (YYYY-MM-DD; default the latest delivery date in the landing zone; decides
consent validity), `settle_seconds`, `landing_dir`, `warehouse_dir`, `reference_dir` (override Variables
`soepel_*_dir` and environment `SOEPEL_*_DIR`). The pseudonymisation key is never a param: see
`docs/airflow.md`.
"""

from __future__ import annotations

from airflow.sdk import Param, TriggerRule, dag, get_current_context, task

from soepel_airflow import steps
from soepel_airflow.assets import STAGED_SOURCES, source_asset
from soepel_airflow.callbacks import dag_failed
from soepel_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, folder_params
from soepel_airflow.lineage import lineage_task

PARAMS = {
    "reference_date": Param(None, type=["null", "string"], format="date",
                            description="YYYY-MM-DD; empty: the latest delivery date in the landing zone"),
    "settle_seconds": Param(None, type=["null", "number"], minimum=0,
                            description="leave files modified this recently for a later run; "
                                        "empty: Variable soepel_settle_seconds, env SOEPEL_SETTLE_SECONDS, else 60"),
}
PARAMS |= folder_params("landing_dir", "warehouse_dir", "reference_dir")


@dag(
    dag_id="soepel_ingest",
    schedule="*/30 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    tags=["soepel", "rmc", "ingest"],
    doc_md=__doc__,
    on_failure_callback=dag_failed,
)
def soepel_ingest():
    @task(multiple_outputs=True,
          doc_md="Lists new landing-zone files in load order, grouped into batches; fixes the reference date.")
    def find_new_files(params=None) -> dict:
        return steps.find_batches(params)

    @task(doc_md="Picks one stage's batches out of find_new_files' result (Airflow maps over lists only).")
    def batches(found: dict, stage: str) -> list[dict]:
        return found[stage]

    @lineage_task("ingest", map_index_template="{{ batch_label }}", max_active_tis_per_dagrun=2,
                  doc_md="Loads one batch (a source's new files) into staging in one transaction; logs each file's outcome.")
    def ingest_registers(batch: dict, reference_date: str | None, params=None) -> list[dict]:
        get_current_context()["batch_label"] = steps.batch_label(batch)
        return steps.ingest_batch(params, batch, reference_date)

    @lineage_task("ingest", map_index_template="{{ batch_label }}", max_active_tis_per_dagrun=2,
                  trigger_rule=TriggerRule.NONE_FAILED,
                  doc_md="Loads one interventies batch after every register, so consent is judged on the whole batch.")
    def ingest_interventies(batch: dict, reference_date: str | None, params=None) -> list[dict]:
        get_current_context()["batch_label"] = steps.batch_label(batch)
        return steps.ingest_batch(params, batch, reference_date)

    @task(outlets=[STAGED_SOURCES], trigger_rule=TriggerRule.NONE_FAILED,
          doc_md="Emits soepel_staging_<source> for every source that loaded a file in this run.")
    def publish_source_assets(registers, interventies, reference_date: str | None, outlet_events=None) -> dict:
        # index, rather than iterate, the lazy XCom sequences: iterating probes one past the end
        results = [seq[i] for seq in (registers, interventies) if seq is not None for i in range(len(seq))]
        loaded = steps.loaded_sources(results)
        for source, info in loaded.items():
            outlet_events[STAGED_SOURCES].add(source_asset(source), extra={**info, "reference_date": reference_date})
        return {"outcomes": steps.outcome_counts(results), "sources_loaded": sorted(loaded)}

    found = find_new_files()
    reference_date = found["reference_date"]
    registers = ingest_registers.partial(reference_date=reference_date).expand(
        batch=batches.override(task_id="register_batches")(found, "registers"))
    interventies = ingest_interventies.partial(reference_date=reference_date).expand(
        batch=batches.override(task_id="interventies_batches")(found, "interventies"))
    registers >> interventies
    publish_source_assets(registers, interventies, reference_date)


soepel_ingest()
