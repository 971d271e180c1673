"""The reference folder: municipalities → RMC region, institutions → pilot, the pilots.

The project ships one (``data/``, derived from public DUO code tables, see docs/reference-data.md);
a user points the pipeline at another with ``--reference DIR`` or ``SOEPEL_REFERENCE_DIR``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

REFERENCE_ENV_VAR = "SOEPEL_REFERENCE_DIR"
FILES = {
    "gemeenten": ("gemeente_code", "gemeente_naam", "rmc_regio_code", "rmc_regio_naam", "arbeidsmarktregio"),
    "instellingen": ("brin", "naam", "pilot"),
    "pilots": ("pilot", "naam", "doelgroep"),
}


class ReferenceError(ValueError):
    """The reference folder lacks a file or a column."""


def shipped_reference_dir() -> Path:
    return Path(str(resources.files("soepel_etl.reference") / "data"))


def resolve_reference_dir(explicit: str | os.PathLike | None = None, environ=None) -> Path:
    environ = os.environ if environ is None else environ
    chosen = explicit or environ.get(REFERENCE_ENV_VAR) or shipped_reference_dir()
    folder = Path(chosen)
    check_reference_dir(folder)
    return folder


def check_reference_dir(folder: Path) -> None:
    for name, columns in FILES.items():
        path = folder / f"{name}.csv"
        if not path.is_file():
            raise ReferenceError(f"reference folder {folder} has no {name}.csv")
        try:
            # the whole file, not only the header: DuckDB reads it as UTF-8 later, deep in a build
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReferenceError(f"{path} is not UTF-8 (byte {exc.start}: {exc.reason}); save it as UTF-8") from None
        header = text.splitlines()[0] if text.strip() else ""
        found = [c.strip().lower() for c in header.split(";")]
        missing = [c for c in columns if c not in found]
        if missing:
            raise ReferenceError(f"{path} lacks column(s) {', '.join(missing)} (';'-separated, header row)")


def reference_sql(folder: Path, name: str) -> str:
    """A DuckDB table expression reading one reference file as text, empty strings as NULL."""
    path = str(folder / f"{name}.csv").replace("'", "''")
    return f"read_csv('{path}', delim=';', header=true, all_varchar=true, quote='\"')"
