"""
### Soepel ETL — build: staging → core tables → marts

Runs when the ingest DAG staged anything new (any `soepel_staging_<source>` asset), or when
triggered. Rebuilds the core tables (current versions of every record, `person_month`) and the marts
(`outflow_outcomes`, `cohort_outcomes`, `risk_monitor`) in one all-or-nothing transaction — the same
code as the build half of `soepel-etl run`.

| task | what it does | where its output lands |
|---|---|---|
| `build_core_and_marts` | rebuilds core and marts from everything staged; skipped (nothing written) when nothing they depend on changed since the last build, unless `force` | `<warehouse>/core/`, `<warehouse>/marts/`, `_meta/builds/`, `catalog.duckdb`; emits `soepel_mart_<table>` assets only when it rebuilt |

Asset-triggered runs have no logical date: the reference date is the `reference_date` param when
given, else the one the triggering ingest run used (in the asset events' extra), else the latest
delivery date loaded so far (`_meta/loads`). The build never reads the landing zone: it works with
an empty or archived one. A failed build leaves the previous core and marts in place.
Re-running is safe: the same staging gives the same marts.

Params: `reference_date`, `force` (rebuild even when nothing changed), `landing_dir`,
`warehouse_dir`, `reference_dir`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag

from soepel_airflow import steps
from soepel_airflow.assets import ANY_SOURCE_CHANGED, MART_ASSETS, PUBLISHED_MARTS
from soepel_airflow.callbacks import dag_failed
from soepel_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, folder_params
from soepel_airflow.lineage import lineage_task

PARAMS = {
    "reference_date": Param(None, type=["null", "string"], format="date",
                            description="YYYY-MM-DD; empty: the triggering ingest's, else the latest delivery date loaded"),
    "force": Param(False, type="boolean", description="rebuild even when nothing changed since the last build"),
}
PARAMS |= folder_params("landing_dir", "warehouse_dir", "reference_dir")


@dag(
    dag_id="soepel_build",
    schedule=ANY_SOURCE_CHANGED,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    tags=["soepel", "rmc", "build"],
    doc_md=__doc__,
    on_failure_callback=dag_failed,
)
def soepel_build():
    @lineage_task("build", outlets=[PUBLISHED_MARTS],
                  doc_md="Rebuilds core tables and marts from staging in one transaction; emits the mart assets if it did.")
    def build_core_and_marts(params=None, triggering_asset_events=None, outlet_events=None) -> dict:
        reference_date = params.get("reference_date") or steps.reference_date_from_events(triggering_asset_events)
        result = steps.build(params, reference_date)
        if result["built"]:
            for mart, asset in MART_ASSETS.items():
                outlet_events[PUBLISHED_MARTS].add(asset, extra={
                    "rows": result["rows"].get(f"marts/{mart}"), "reference_date": result["reference_date"],
                    "build_run": result["run_id"]})
        return result

    build_core_and_marts()


soepel_build()
