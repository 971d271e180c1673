"""Fixtures of the Airflow tests; the environment is set up in helpers (imported first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.airflow.helpers import _HOME, airflow_env, run_airflow


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """The session's AIRFLOW_HOME with a migrated SQLite metadata database."""
    proc = run_airflow(["db", "migrate"], airflow_env())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return _HOME
