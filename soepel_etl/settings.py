"""Settings as data: where things are and which key to use, each with its documented source.

Precedence, highest first: an explicit argument (CLI option, Airflow param), then the environment
(``SOEPEL_LANDING_DIR``, ``SOEPEL_WAREHOUSE_DIR``, ``SOEPEL_REFERENCE_DIR``, ``SOEPEL_PSEUDONYM_KEY``),
then the embedded default (the shipped reference folder; ``./landing`` and ``./warehouse``).
The between-builds thresholds come from the environment only (``SOEPEL_OUTFLOW_DROP_MAX``,
``SOEPEL_ONBEKEND_RISE_MAX``: shares between 0 and 1; docs/quality.md); under Airflow the task's
environment is passed through.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from .identity.pseudonyms import PseudonymKey
from .reference import resolve_reference_dir

LANDING_ENV_VAR = "SOEPEL_LANDING_DIR"
RANGE_ENV_VAR = "SOEPEL_PERSON_MONTHS_PER_RANGE"
# The build handles persons in ranges of about this many person-months (its working set; about
# 1.5 GB in DuckDB at 16 M). Smaller ranges: less memory, a little more time.
PERSON_MONTHS_PER_RANGE = 16_000_000
WAREHOUSE_ENV_VAR = "SOEPEL_WAREHOUSE_DIR"
# Between builds (docs/quality.md): a cohort losing more than this share of its outflows since the
# previous build is a warning; any observed person-month turning 'onbekend' is critical.
OUTFLOW_DROP_ENV_VAR = "SOEPEL_OUTFLOW_DROP_MAX"
OUTFLOW_DROP_MAX = 0.10
ONBEKEND_RISE_ENV_VAR = "SOEPEL_ONBEKEND_RISE_MAX"
ONBEKEND_RISE_MAX = 0.0


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    reference: Path
    key: PseudonymKey
    reference_date: dt.date | None = None   # None: the latest delivery date in the landing zone
    person_months_per_range: int = PERSON_MONTHS_PER_RANGE
    outflow_drop_max: float = OUTFLOW_DROP_MAX
    onbekend_rise_max: float = ONBEKEND_RISE_MAX

    @classmethod
    def resolve(cls, landing=None, warehouse=None, reference=None, reference_date=None,
                key: PseudonymKey | None = None, environ=None,
                person_months_per_range: int | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        if isinstance(reference_date, str):
            reference_date = dt.date.fromisoformat(reference_date)
        return cls(
            landing=Path(landing or environ.get(LANDING_ENV_VAR) or "landing"),
            warehouse=Path(warehouse or environ.get(WAREHOUSE_ENV_VAR) or "warehouse"),
            reference=resolve_reference_dir(reference, environ),
            key=key or PseudonymKey.from_environment(environ),
            reference_date=reference_date,
            person_months_per_range=int(person_months_per_range or environ.get(RANGE_ENV_VAR)
                                        or PERSON_MONTHS_PER_RANGE),
            outflow_drop_max=_share(environ, OUTFLOW_DROP_ENV_VAR, OUTFLOW_DROP_MAX),
            onbekend_rise_max=_share(environ, ONBEKEND_RISE_ENV_VAR, ONBEKEND_RISE_MAX),
        )


def _share(environ, name: str, default: float) -> float:
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be a share between 0 and 1, not {text!r}")
    return value
