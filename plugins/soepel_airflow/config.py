"""Settings the Airflow way: DAG param > Airflow Variable > environment > default.

| setting | DAG param | Airflow Variable | environment | default |
|---|---|---|---|---|
| landing zone | ``landing_dir`` | ``soepel_landing_dir`` | ``SOEPEL_LANDING_DIR`` | ``landing`` |
| warehouse | ``warehouse_dir`` | ``soepel_warehouse_dir`` | ``SOEPEL_WAREHOUSE_DIR`` | ``warehouse`` |
| reference folder | ``reference_dir`` | ``soepel_reference_dir`` | ``SOEPEL_REFERENCE_DIR`` | the shipped one |
| report folder | ``out_dir`` | ``soepel_report_dir`` | ``SOEPEL_REPORT_DIR`` | ``reports`` |
| reference date | ``reference_date`` | – | – | the latest delivery date in the landing zone |
| settle period (s) | ``settle_seconds`` | ``soepel_settle_seconds`` | ``SOEPEL_SETTLE_SECONDS`` | 60 |

The pseudonymisation key is never a param (params are rendered in the UI and stored with the run).
It comes from the Airflow Connection ``soepel_pseudonym_key`` (its password), else the Airflow
Variable ``soepel_pseudonym_key`` (both looked up through the configured secrets backends, e.g.
``AIRFLOW_CONN_SOEPEL_PSEUDONYM_KEY`` / ``AIRFLOW_VAR_SOEPEL_PSEUDONYM_KEY`` or Vault), else the
environment variable ``SOEPEL_PSEUDONYM_KEY``. The value is registered with Airflow's secrets masker
and only ever lives inside a :class:`~soepel_etl.identity.pseudonyms.PseudonymKey` in the task
process: it is never returned, pushed to XCom, templated or logged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY_ID = "soepel_pseudonym_key"
KEY_ENV_VAR = "SOEPEL_PSEUDONYM_KEY"


@dataclass(frozen=True)
class Location:
    param: str
    variable: str
    env: str | None
    default: str | None


LOCATIONS = {
    "landing": Location("landing_dir", "soepel_landing_dir", "SOEPEL_LANDING_DIR", "landing"),
    "warehouse": Location("warehouse_dir", "soepel_warehouse_dir", "SOEPEL_WAREHOUSE_DIR", "warehouse"),
    # env and default of the reference folder are resolved by soepel_etl.reference
    "reference": Location("reference_dir", "soepel_reference_dir", "SOEPEL_REFERENCE_DIR", None),
    "reports": Location("out_dir", "soepel_report_dir", "SOEPEL_REPORT_DIR", "reports"),
}

Lookup = Callable[[str], "str | None"]

# the scheduled ingest leaves a file alone until it has been quiet this long (extracts.md: a sender
# may still be copying it); ``soepel-etl run`` has none, a person starts it after the copy
SETTLE = Location("settle_seconds", "soepel_settle_seconds", "SOEPEL_SETTLE_SECONDS", "60")


def airflow_variable(name: str) -> str | None:
    """An Airflow Variable (metadata DB or any secrets backend), or None when it is not set."""
    from airflow.sdk import Variable

    value = Variable.get(name, default=None)
    return value if value not in ("", None) else None


def airflow_connection_password(conn_id: str) -> str | None:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        return None
    return conn.password or None


def location(name: str, params: Mapping[str, Any] | None, variable: Lookup = airflow_variable,
             environ: Mapping[str, str] | None = None) -> str | None:
    """One location by precedence; None for the reference folder when nothing is set (package default)."""
    return _by_precedence(LOCATIONS[name], params, variable, environ)


def settle_seconds(params: Mapping[str, Any] | None, variable: Lookup = airflow_variable,
                   environ: Mapping[str, str] | None = None) -> float:
    value = float(_by_precedence(SETTLE, params, variable, environ))
    if value < 0:
        raise ValueError(f"settle_seconds must be 0 or more, not {value}")
    return value


def _by_precedence(loc: Location, params: Mapping[str, Any] | None, variable: Lookup,
                   environ: Mapping[str, str] | None) -> str | None:
    environ = os.environ if environ is None else environ
    for value in ((params or {}).get(loc.param), variable(loc.variable), environ.get(loc.env) if loc.env else None):
        if value not in (None, ""):
            return str(value)
    return loc.default


def key_text(variable: Lookup = airflow_variable, connection: Lookup = airflow_connection_password,
             environ: Mapping[str, str] | None = None) -> str | None:
    """The key's text (Connection > Variable > environment), registered with the secrets masker."""
    environ = os.environ if environ is None else environ
    text = connection(KEY_ID) or variable(KEY_ID) or environ.get(KEY_ENV_VAR) or None
    if text:
        try:
            from airflow.sdk.log import mask_secret

            mask_secret(text, name=KEY_ID)
        except Exception:  # outside a task (unit tests) there may be no masker: nothing is logged anyway
            pass
    return text


def resolve_settings(params: Mapping[str, Any] | None = None, *, variable: Lookup = airflow_variable,
                     connection: Lookup = airflow_connection_password, environ: Mapping[str, str] | None = None):
    """:class:`soepel_etl.settings.Settings` for a task, from its params and Airflow's configuration."""
    from soepel_etl.settings import PseudonymKey, Settings

    environ = dict(os.environ if environ is None else environ)
    params = params or {}
    return Settings.resolve(
        landing=location("landing", params, variable, environ),
        warehouse=location("warehouse", params, variable, environ),
        reference=location("reference", params, variable, environ),
        reference_date=params.get("reference_date") or None,
        key=PseudonymKey.from_text(key_text(variable, connection, environ)),
        environ=environ,
    )


def resolve_paths(params: Mapping[str, Any] | None = None, *, variable: Lookup = airflow_variable,
                  environ: Mapping[str, str] | None = None) -> dict[str, Path]:
    """The folders only (no key): for failure messages and the report task."""
    out = {}
    for name in LOCATIONS:
        try:
            value = location(name, params, variable, environ)
        except Exception:  # a callback must never fail on a lookup
            value = LOCATIONS[name].default
        if value is not None:
            out[name] = Path(value)
    return out
