"""The signal-list DAG through real Airflow (``airflow dags test``, SQLite metadata) on a hand-built warehouse.

The key comes from the env-var secrets backend (``AIRFLOW_VAR_SOEPEL_PSEUDONYM_KEY``), the report
folder from the environment, the list's path from the run's conf. The answer lands next to the
reports, owner-only; neither Airflow's database nor its logs nor the warehouse hold a BSN of the list.
(The error cases run through the CLI in tests/integration/test_signal_list.py: one Airflow run costs
about half a minute here.)
"""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.airflow.helpers import airflow_env, run_airflow
from tests.conftest import TEST_KEY_TEXT, tree_state
from tests.privacy import Secrets, scan_text, scan_tree
from tests.signal_cases import AT_RISK, LIST, R, build_signal_warehouse, read_csv_answer, write_csv_list

pytestmark = pytest.mark.slow


def _last_run(home: Path) -> tuple[str, str]:
    con = sqlite3.connect(home / "airflow.db")
    try:
        return con.execute("SELECT run_id, state FROM dag_run WHERE dag_id = 'soepel_signal_list' "
                           "ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()


@pytest.fixture(scope="module")
def case(airflow_home, tmp_path_factory):
    root = tmp_path_factory.mktemp("signal-airflow")
    warehouse = build_signal_warehouse(root)
    lists = root / "lists"
    lists.mkdir()
    env = airflow_env(AIRFLOW_VAR_SOEPEL_PSEUDONYM_KEY=TEST_KEY_TEXT, SOEPEL_WAREHOUSE_DIR=str(warehouse),
                      SOEPEL_REPORT_DIR=str(root / "reports"))
    return {"root": root, "warehouse": warehouse, "lists": lists, "env": env, "home": airflow_home,
            "reports": root / "reports"}


def _secrets() -> Secrets:
    secrets = Secrets(key=TEST_KEY_TEXT)
    for value in LIST:
        secrets.add_identifier(value)
    return secrets


def test_dag_answers_the_list_next_to_the_reports(case):
    bsn_list = write_csv_list(case["lists"] / "inwoners-2024.csv", LIST)
    before = tree_state(case["warehouse"])
    proc = run_airflow(["dags", "test", "soepel_signal_list", "--conf", json.dumps({"bsn_list": str(bsn_list)})],
                       case["env"])
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert _last_run(case["home"])[1] == "success"
    out = case["reports"] / "signaallijst-inwoners-2024.csv"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = read_csv_answer(out)
    assert [r["bsn"] for r in rows] == LIST
    first = rows[0]
    assert (first["bsn"], first["in_monitor"], first["risk_level"], first["reference_month"]) == (AT_RISK, "true",
                                                                                                 "hoog", R)
    assert tree_state(case["warehouse"]) == before
    # privacy: no BSN of the list, and not the key, in Airflow's database, logs or output, nor in the warehouse
    secrets = _secrets()
    assert scan_tree(case["home"], secrets) == []
    assert scan_text(output, secrets, "airflow output") == []
    assert scan_tree(case["warehouse"], secrets) == []
    # `dags test` runs the task in-process: its log is this output (the scan above covered it)
    assert "10 BSN(s) read, 4 invalid, 4 in the risk monitor" in output

