"""
### Soepel ETL — report: marts → RMC monitoring report

Runs when the build DAG published all three marts again (`soepel_mart_outflow_outcomes`,
`soepel_mart_cohort_outcomes`, `soepel_mart_risk_monitor`), or when triggered with params. Reads
the marts (never staging) and writes the monitoring report — a self-contained HTML page and the
same tables as an `.xlsx` workbook — the same code as `soepel-etl report`.

| task | what it does | where its output lands |
|---|---|---|
| `write_reports` | applies disclosure control for the audience and writes HTML and xlsx | the report folder (param `out_dir` > Variable `soepel_report_dir` > env `SOEPEL_REPORT_DIR` > `reports/`); the paths are this task's return value |

Params: `audience` (`intern` or `publiek`: the public report is suppressed/rounded), `rmc_region`
(an RMC region code) and `pilot` (a pilot code) to narrow the report, `warehouse_dir`, `out_dir`.
Re-running overwrites the same report with the same content for the same marts.
"""

from __future__ import annotations

from airflow.sdk import Param, dag

from soepel_airflow import steps
from soepel_airflow.assets import ALL_MARTS_PUBLISHED
from soepel_airflow.callbacks import dag_failed
from soepel_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, folder_params
from soepel_airflow.lineage import lineage_task

# the bottom layer only (plain data, no DuckDB/pandas/GX): parsing a DAG stays light
from soepel_etl.schema.contracts import PILOT_CODES

PARAMS = {
    "audience": Param("intern", type="string", enum=["intern", "publiek"],
                      description="intern: exact counts for the RMC team; publiek: with disclosure control"),
    "rmc_region": Param(None, type=["null", "string"], description="an RMC region code; empty: all regions"),
    "pilot": Param(None, type=["null", "string"], enum=[None, *PILOT_CODES], description="a pilot code; empty: all"),
}
PARAMS |= folder_params("warehouse_dir", "out_dir")


@dag(
    dag_id="soepel_report",
    schedule=ALL_MARTS_PUBLISHED,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    tags=["soepel", "rmc", "report"],
    doc_md=__doc__,
    on_failure_callback=dag_failed,
)
def soepel_report():
    @lineage_task("report", doc_md="Writes the HTML and xlsx monitoring report for the chosen audience, region and pilot.")
    def write_reports(params=None) -> dict:
        return steps.report(params)

    write_reports()


soepel_report()
