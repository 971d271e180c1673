"""The reference folder: municipalities → RMC region, institutions → pilot, the pilots.

The project ships one (``data/``, derived from public DUO code tables and CBS reorganisation lists,
see docs/reference-data.md); a user points the pipeline at another with ``--reference DIR`` or
``SOEPEL_REFERENCE_DIR``.

Municipality codes change when municipalities merge (*gemeentelijke herindeling*). The optional
``gemeente_herindelingen.csv`` lists those changes; every lookup of a municipality's region goes
through :func:`region_of_sql`, which first maps a code to today's code (:func:`current_municipality_sql`).
A folder without that file still works: codes then map to themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from importlib import resources
from pathlib import Path

from ..schema.sql import literal

REFERENCE_ENV_VAR = "SOEPEL_REFERENCE_DIR"
FILES = {
    "gemeenten": ("gemeente_code", "gemeente_naam", "rmc_regio_code", "rmc_regio_naam", "arbeidsmarktregio"),
    "instellingen": ("brin", "naam", "pilot"),
    "pilots": ("pilot", "naam", "doelgroep"),
}
#: Optional files: a folder without them is complete; when present their columns are checked.
OPTIONAL_FILES = {
    "gemeente_herindelingen": ("oude_gemeente_code", "oude_gemeente_naam", "nieuwe_gemeente_code",
                               "nieuwe_gemeente_naam", "datum_herindeling"),
}
HERINDELINGEN = "gemeente_herindelingen"


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
        _check_header(path, columns)
    herindelingen = folder / f"{HERINDELINGEN}.csv"
    if herindelingen.is_file():
        _check_header(herindelingen, OPTIONAL_FILES[HERINDELINGEN])
        _check_herindelingen(herindelingen)


def _check_header(path: Path, columns: tuple[str, ...]) -> None:
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


def _check_herindelingen(path: Path) -> None:
    # a code that disappears twice (a split municipality) has no single successor: refuse it rather
    # than let the region lookup pick one of them silently
    seen: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle, delimiter=";"), start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            old = row["oude_gemeente_code"].upper()
            try:
                dt.date.fromisoformat(row["datum_herindeling"])
            except ValueError:
                raise ReferenceError(f"{path}:{line}: datum_herindeling {row['datum_herindeling']!r} "
                                     "is not a date YYYY-MM-DD") from None
            if old in seen:
                raise ReferenceError(f"{path}:{line}: {old} changes twice (also line {seen[old]}); "
                                     "a municipality code has at most one successor")
            seen[old] = str(line)


def reference_sql(folder: Path, name: str) -> str:
    """A DuckDB table expression reading one reference file as text, empty strings as NULL."""
    return f"read_csv({literal(folder / f'{name}.csv')}, delim=';', header=true, all_varchar=true, quote='\"')"


def _date_sql(as_of: dt.date | None) -> str:
    return "current_date" if as_of is None else f"DATE '{as_of.isoformat()}'"


def municipality_changes_sql(folder: Path, as_of: dt.date | None = None) -> str:
    """A DuckDB table expression ``(oude_gemeente_code, nieuwe_gemeente_code, datum_herindeling)``:
    the code changes that took effect on or before ``as_of`` (default: today). Empty when the
    folder has no ``gemeente_herindelingen.csv``."""
    if not (Path(folder) / f"{HERINDELINGEN}.csv").is_file():
        return ("(SELECT NULL::VARCHAR AS oude_gemeente_code, NULL::VARCHAR AS nieuwe_gemeente_code, "
                "NULL::DATE AS datum_herindeling WHERE false)")
    return f"""(SELECT upper(trim(oude_gemeente_code)) AS oude_gemeente_code,
               upper(trim(nieuwe_gemeente_code)) AS nieuwe_gemeente_code,
               CAST(trim(datum_herindeling) AS DATE) AS datum_herindeling
        FROM {reference_sql(folder, HERINDELINGEN)}
        WHERE CAST(trim(datum_herindeling) AS DATE) <= {_date_sql(as_of)})"""


def current_municipality_sql(folder: Path, as_of: dt.date | None = None) -> str:
    """A DuckDB table expression ``(gemeente_code, huidige_gemeente_code)``, one row per code that
    changed on or before ``as_of`` (default: today), giving the code it is known by at that date.

    Chains are followed (A→B in 2018, B→C in 2022 gives A→C). A code that never changed has no row:
    join with ``LEFT JOIN`` and take ``coalesce(huidige_gemeente_code, code)``, or use
    :func:`region_of_sql`, which does that."""
    changes = municipality_changes_sql(folder, as_of)
    # the depth bound only guards against a cycle in a user's table; real chains are 1-2 steps
    return f"""(WITH RECURSIVE changes AS (SELECT * FROM {changes}),
        walk(gemeente_code, code, depth) AS (
            SELECT oude_gemeente_code, nieuwe_gemeente_code, 1 FROM changes
            UNION ALL
            SELECT w.gemeente_code, c.nieuwe_gemeente_code, w.depth + 1
            FROM walk AS w JOIN changes AS c ON c.oude_gemeente_code = w.code
            WHERE w.depth < 32)
        SELECT gemeente_code, arg_max(code, depth) AS huidige_gemeente_code FROM walk GROUP BY gemeente_code)"""


def region_of_sql(folder: Path, as_of: dt.date | None = None) -> str:
    """The one place a municipality code finds its region: a DuckDB table expression
    ``(gemeente_code, huidige_gemeente_code, rmc_regio_code, arbeidsmarktregio, in_reference)`` with
    a row for every code in ``gemeenten.csv`` and every code that changed on or before ``as_of``;
    ``in_reference`` says whether the code or today's code is in ``gemeenten.csv``.

    The region is that of today's code; when today's code is not in ``gemeenten.csv`` (an old
    regional folder that still lists the old code) the code's own row is used. Codes are upper-case
    and trimmed; join on ``upper(trim(code))``. A code in neither file has no row (region unknown)."""
    current = current_municipality_sql(folder, as_of)
    return f"""(WITH gemeenten AS (
            SELECT upper(trim(gemeente_code)) AS gemeente_code,
                   min(nullif(trim(rmc_regio_code), '')) AS rmc_regio_code,
                   min(nullif(trim(arbeidsmarktregio), '')) AS arbeidsmarktregio
            FROM {reference_sql(folder, 'gemeenten')} WHERE nullif(trim(gemeente_code), '') IS NOT NULL GROUP BY 1),
        current AS (SELECT * FROM {current}),
        codes AS (SELECT gemeente_code FROM gemeenten UNION SELECT gemeente_code FROM current)
        SELECT k.gemeente_code,
               coalesce(c.huidige_gemeente_code, k.gemeente_code) AS huidige_gemeente_code,
               coalesce(now_.rmc_regio_code, own.rmc_regio_code) AS rmc_regio_code,
               coalesce(now_.arbeidsmarktregio, own.arbeidsmarktregio) AS arbeidsmarktregio,
               (now_.gemeente_code IS NOT NULL OR own.gemeente_code IS NOT NULL) AS in_reference
        FROM codes AS k
        LEFT JOIN current AS c USING (gemeente_code)
        LEFT JOIN gemeenten AS now_ ON now_.gemeente_code = coalesce(c.huidige_gemeente_code, k.gemeente_code)
        LEFT JOIN gemeenten AS own ON own.gemeente_code = k.gemeente_code)"""


def current_municipality_map(folder: Path, as_of: dt.date | None = None) -> dict[str, str]:
    """``current_municipality_sql`` as a Python dict (old code → code at ``as_of``), for small
    Python-side work such as grouping senders."""
    import duckdb

    with duckdb.connect() as con:
        return dict(con.execute(f"SELECT * FROM {current_municipality_sql(folder, as_of)}").fetchall())


def national_table(name: str) -> list[dict[str, str]]:
    """A national table shipped with the package (``national/<name>.csv``, ``;``-separated): the SBI
    sections with their Dutch names, the statutory (youth) minimum wage with its source. Rows as
    dicts of text, in file order."""
    path = resources.files("soepel_etl.reference").joinpath("national", f"{name}.csv")
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))
