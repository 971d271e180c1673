"""What every Soepel DAG shares: default task arguments and the folder params, in one place."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param

from soepel_airflow.callbacks import task_failed
from soepel_airflow.errors import MAX_RETRY_DELAY, RETRIES, RETRY_DELAY, RETRY_EXPONENTIAL_BACKOFF, RETRY_POLICY

START_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

DEFAULT_ARGS = {
    "owner": "rmc-data-team",
    "retries": RETRIES,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": RETRY_EXPONENTIAL_BACKOFF,
    "max_retry_delay": MAX_RETRY_DELAY,
    "retry_policy": RETRY_POLICY,
    "execution_timeout": dt.timedelta(hours=2),
    "on_failure_callback": task_failed,
}


def folder_params(*names: str) -> dict[str, Param]:
    """The folder params a DAG takes (empty: Airflow Variable, then environment, then default)."""
    all_params = {
        "landing_dir": Param(None, type=["null", "string"], description="landing zone; empty: Variable/env/default"),
        "warehouse_dir": Param(None, type=["null", "string"], description="warehouse; empty: Variable/env/default"),
        "reference_dir": Param(None, type=["null", "string"],
                               description="reference folder; empty: Variable/env/shipped"),
        "out_dir": Param(None, type=["null", "string"], description="report folder; empty: Variable/env/reports"),
    }
    return {name: all_params[name] for name in names}
