"""Shared by the Airflow tests (imported as tests.airflow.helpers): one temporary AIRFLOW_HOME (SQLite metadata) per test session.

In-process tests (DagBag, config) import Airflow with the environment set here; the end-to-end
tests run the real ``airflow`` command in subprocesses against the same AIRFLOW_HOME.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
PLUGINS = REPO / "plugins"
AIRFLOW_BIN = Path(sys.executable).with_name("airflow")

# before anything imports airflow: never touch ~/airflow, never load the examples
_HOME = Path(tempfile.mkdtemp(prefix="soepel-airflow-home-"))
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(_HOME / "logs"),
}
if "airflow" not in sys.modules:
    os.environ.update(AIRFLOW_ENV)
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))


def airflow_env(**extra: str) -> dict[str, str]:
    """Environment for an ``airflow`` subprocess: the session's home, no soepel settings inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOEPEL_", "AIRFLOW_VAR_SOEPEL", "AIRFLOW_CONN_"))}
    env.update(AIRFLOW_ENV)
    env["PATH"] = f"{AIRFLOW_BIN.parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_airflow(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    proc = subprocess.run([str(AIRFLOW_BIN), *args], env=env, cwd=str(_HOME), capture_output=True, text=True,
                          timeout=timeout)
    proc.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    return proc
