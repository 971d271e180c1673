"""
### Soepel ETL — signal list: an RMC's BSN list → who of them is in the risk monitor

Triggered by hand (no schedule) with the path of a BSN list — a `.csv` or `.xlsx` file with a column
`bsn` — readable by the workers. Per BSN of the list it writes whether the person is in
`marts/risk_monitor` and with which flags, score and level; BSNs that fail the eleven-test are listed
as invalid. The same code as `soepel-etl signal-list`.

| task | what it does | where its output lands |
|---|---|---|
| `answer_signal_list` | pseudonymises the list's valid BSNs with the key, joins the risk monitor, writes the answer owner-only (0600) | the report folder (param `out_dir` > Variable `soepel_report_dir` > env `SOEPEL_REPORT_DIR` > `reports/`) as `signaallijst-<list name>.<csv or xlsx>`; the path and counts are this task's return value |

The key comes from the secrets backend (Connection or Variable `soepel_pseudonym_key`, else
`SOEPEL_PSEUDONYM_KEY`), never from a param. Nothing of the list or the answer enters the
warehouse, XCom or the task log: the log and the return value hold counts and the output path only.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from soepel_airflow import steps
from soepel_airflow.callbacks import dag_failed
from soepel_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, folder_params

PARAMS = {
    "bsn_list": Param(None, type=["null", "string"],
                      description="path of the RMC's BSN list (.csv or .xlsx with a column 'bsn')"),
}
PARAMS |= folder_params("warehouse_dir", "out_dir")


@dag(
    dag_id="soepel_signal_list",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    tags=["soepel", "rmc", "signal-list"],
    doc_md=__doc__,
    on_failure_callback=dag_failed,
)
def soepel_signal_list():
    @task(doc_md="Answers the BSN list from the risk monitor into the report folder, owner-only.")
    def answer_signal_list(params=None) -> dict:
        return steps.signal_list(params)

    answer_signal_list()


soepel_signal_list()
