"""The loads manifest ``_meta/loads``: one row per delivered file, whatever became of it.

The invariant, for every ``loaded`` file: rows_read = rows_loaded + rows_quarantined +
rows_duplicate + rows_excluded. Each run appends one Parquet part; the manifest is the union.

A file's row is never rewritten: when a later run changes its counts (late consent brings in rows
excluded before, see ``extracts/late_consent.py``) that run appends a new *version* of the row (same
``load_id``, ``version`` + 1, its own ``run_id``). ``read_loads`` gives the latest version of every
file; ``read_load_history`` every version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..schema.sql import parquet

LOADS = "_meta/loads"

SCHEMA = pa.schema([
    ("load_id", pa.string()),
    ("file_name", pa.string()),
    ("source", pa.string()),
    ("sender", pa.string()),
    ("delivery_date", pa.date32()),
    ("sha256", pa.string()),
    ("outcome", pa.string()),
    ("reason", pa.string()),
    ("rows_read", pa.int64()),
    ("rows_loaded", pa.int64()),
    ("rows_quarantined", pa.int64()),
    ("rows_duplicate", pa.int64()),
    ("rows_excluded", pa.int64()),
    ("loaded_at", pa.timestamp("us", tz="UTC")),
    # beyond the spec's columns: what an engineer needs to see why a file looks odd
    ("encoding", pa.string()),
    ("delimiter", pa.string()),
    ("extra_columns", pa.string()),
    ("unknown_codes", pa.string()),
    ("quarantine_reasons", pa.string()),   # JSON object: reason -> rows (a row counts once per reason)
    ("run_id", pa.string()),
    ("version", pa.int64()),                # 1 when loaded; +1 for each later revision of the counts
])


@dataclass
class LoadRecord:
    load_id: str
    file_name: str
    source: str | None
    sender: str | None
    delivery_date: dt.date | None
    sha256: str
    outcome: str                 # loaded | rejected | duplicate_file
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rows_excluded: int = 0
    loaded_at: dt.datetime | None = None
    encoding: str | None = None
    delimiter: str | None = None
    extra_columns: str | None = None
    unknown_codes: str | None = None
    quarantine_reasons: str | None = None
    run_id: str | None = None
    version: int = 1
    # in-memory only: where this run staged the file's good rows
    staged_relpath: str | None = field(default=None, repr=False)

    def invariant_holds(self) -> bool:
        return self.outcome != "loaded" or self.rows_read == (
            self.rows_loaded + self.rows_quarantined + self.rows_duplicate + self.rows_excluded
        )


def write_part(records: list[LoadRecord], path: Path) -> None:
    rows = [{k: v for k, v in asdict(r).items() if k in SCHEMA.names} for r in records]
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)


def history_sql(folder: Path) -> str:
    """Every version of every row; parts written before versions existed are version 1."""
    scan = parquet(folder / "*.parquet", union_by_name="true")
    names = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    if "version" in names:
        return f"SELECT * REPLACE (coalesce(version, 1) AS version) FROM {scan}"
    return f"SELECT *, CAST(1 AS BIGINT) AS version FROM {scan}"


def _parts(warehouse: Path) -> str | None:
    folder = Path(warehouse) / LOADS
    if not folder.exists() or not any(folder.glob("*.parquet")):
        return None
    return history_sql(folder)


CURRENT_SQL = "QUALIFY row_number() OVER (PARTITION BY load_id ORDER BY version DESC) = 1"


def read_loads(warehouse: Path) -> pa.Table:
    """The latest version of every file's row."""
    parts = _parts(warehouse)
    if parts is None:
        return SCHEMA.empty_table()
    return duckdb.sql(f"SELECT * FROM ({parts}) {CURRENT_SQL} ORDER BY loaded_at, load_id").to_arrow_table()


def read_load_history(warehouse: Path) -> pa.Table:
    parts = _parts(warehouse)
    if parts is None:
        return SCHEMA.empty_table()
    return duckdb.sql(f"SELECT * FROM ({parts}) ORDER BY loaded_at, load_id, version").to_arrow_table()


def loaded_names_and_hashes(warehouse: Path) -> set[tuple[str, str]]:
    """(file_name, sha256) of every file in the manifest: reads two columns only (one part per run adds up)."""
    folder = Path(warehouse) / LOADS
    if not folder.exists() or not any(folder.glob("*.parquet")):
        return set()
    return set(duckdb.sql(f"SELECT file_name, sha256 FROM {parquet(folder / '*.parquet')}").fetchall())
