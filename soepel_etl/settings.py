"""Settings as data: where things are and which key to use, each with its documented source.

Precedence, highest first: an explicit argument (CLI option, Airflow param), then the environment
(``SOEPEL_LANDING_DIR``, ``SOEPEL_WAREHOUSE_DIR``, ``SOEPEL_REFERENCE_DIR``, ``SOEPEL_PSEUDONYM_KEY``),
then the embedded default (the shipped reference folder; ``./landing`` and ``./warehouse``).

Every folder is made absolute here, once, against the working directory of the process that resolves
it: the pipeline hands paths to libraries that refuse or misread relative ones (Great Expectations'
stores, DuckDB views in the catalog), and a relative path must mean the same in every stage.
``$SOEPEL_EXPECTATIONS_DIR`` (another GX project than the shipped one) is resolved the same way.
The between-builds thresholds come from the environment only (``SOEPEL_OUTFLOW_DROP_MAX``,
``SOEPEL_ONBEKEND_RISE_MAX``: shares between 0 and 1; docs/quality.md); under Airflow the task's
environment is passed through.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

# the key and the reference folder are settings: their types and errors are part of this module's
# interface (the Airflow glue imports them from here)
from .identity.pseudonyms import PseudonymKey, PseudonymKeyError  # noqa: F401
from .reference import ReferenceError, resolve_reference_dir  # noqa: F401

EXPECTATIONS_ENV_VAR = "SOEPEL_EXPECTATIONS_DIR"
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
    reference_date: dt.date | None = None   # None: the latest delivery date loaded so far (_meta/loads)
    person_months_per_range: int = PERSON_MONTHS_PER_RANGE
    outflow_drop_max: float = OUTFLOW_DROP_MAX
    onbekend_rise_max: float = ONBEKEND_RISE_MAX

    @classmethod
    def resolve(cls, landing=None, warehouse=None, reference=None, reference_date=None,
                key: PseudonymKey | None = None, environ=None,
                person_months_per_range: int | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        if isinstance(reference_date, str):
            try:
                reference_date = dt.date.fromisoformat(reference_date)
            except ValueError as exc:
                raise ValueError(f"reference date {reference_date!r} is not a date YYYY-MM-DD ({exc})") from None
        return cls(
            landing=absolute(landing or environ.get(LANDING_ENV_VAR) or "landing"),
            warehouse=absolute(warehouse or environ.get(WAREHOUSE_ENV_VAR) or "warehouse"),
            reference=absolute(resolve_reference_dir(reference, environ)),
            key=key or PseudonymKey.from_environment(environ),
            reference_date=reference_date,
            person_months_per_range=int(person_months_per_range or environ.get(RANGE_ENV_VAR)
                                        or PERSON_MONTHS_PER_RANGE),
            outflow_drop_max=_share(environ, OUTFLOW_DROP_ENV_VAR, OUTFLOW_DROP_MAX),
            onbekend_rise_max=_share(environ, ONBEKEND_RISE_ENV_VAR, ONBEKEND_RISE_MAX),
        )


def absolute(path: str | os.PathLike) -> Path:
    """``path`` against the working directory, ``~`` expanded; symlinks are kept as the user named them."""
    return Path(os.path.abspath(Path(path).expanduser()))


def expectations_override(environ=None) -> Path | None:
    """The GX project named by ``$SOEPEL_EXPECTATIONS_DIR`` (absolute), or None for the shipped one."""
    value = (os.environ if environ is None else environ).get(EXPECTATIONS_ENV_VAR)
    return absolute(value) if value else None


def _share(environ, name: str, default: float) -> float:
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be a share between 0 and 1, not {text!r}")
    return value
