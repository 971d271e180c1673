"""``<warehouse>/catalog.duckdb``: a view per table, in schemas staging, core, marts and meta.

Connect with the DuckDB CLI (``duckdb -readonly warehouse/catalog.duckdb``), Python
(``duckdb.connect(path, read_only=True)``) or SQLAlchemy (``duckdb:///warehouse/catalog.duckdb`` with
``connect_args={"read_only": True}``). Views hold absolute paths, so the catalog is rewritten after
every run (and by ``soepel-etl catalog`` after moving a warehouse).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb

from ..schema.contracts import SOURCES
from ..schema.sql import literal
from ..schema.staging import staging_ddl
from .marker import check
from .loads import CURRENT_SQL, history_sql
from .transaction import FILE_MODE

CATALOG = "catalog.duckdb"


def write_catalog(root: Path) -> Path:
    root = check(root).resolve()
    target = root / CATALOG
    tmp = root / f".{CATALOG}.{uuid.uuid4().hex}.tmp"
    # an old storage format on purpose: the DuckDB CLI an analyst has installed (>= 1.0) can open it
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
    try:
        for schema in ("staging", "core", "marts", "meta"):
            con.execute(f"CREATE SCHEMA {schema}")
        for source, contract in SOURCES.items():
            files = root / "staging" / source
            if any(files.glob("*.parquet")):
                con.execute(f"CREATE VIEW staging.{source} AS SELECT * FROM "
                            f"read_parquet({literal(files / '*.parquet')}, union_by_name=true)")
            else:
                con.execute(f"CREATE TABLE staging.{source} ({staging_ddl(contract)})")
            quarantine = root / "quarantine" / source
            if any(quarantine.glob("*.parquet")):
                con.execute(f"CREATE VIEW meta.quarantine_{source} AS SELECT * FROM "
                            f"read_parquet({literal(quarantine / '*.parquet')}, union_by_name=true)")
        for layer in ("core", "marts"):
            for table in sorted(p for p in (root / layer).glob("*") if p.is_dir()):
                if any(table.rglob("*.parquet")):
                    con.execute(f"CREATE VIEW {layer}.{table.name} AS SELECT * FROM "
                                f"read_parquet({literal(table / '**' / '*.parquet')}, hive_partitioning=true)")
        loads = root / "_meta" / "loads"
        if any(loads.glob("*.parquet")):
            con.execute(f"CREATE VIEW meta.loads_history AS {history_sql(loads)}")
            con.execute(f"CREATE VIEW meta.loads AS SELECT * FROM meta.loads_history {CURRENT_SQL}")
        builds = root / "_meta" / "builds"
        if any(builds.glob("*.parquet")):
            con.execute(f"CREATE VIEW meta.builds AS SELECT * FROM read_parquet({literal(builds / '*.parquet')}, "
                        "union_by_name=true)")
            coverage = root / "_meta" / "coverage"  # werk senders per build (warehouse/builds.py)
            if any(coverage.glob("*.parquet")):
                con.execute(f"CREATE VIEW meta.coverage_history AS SELECT * FROM "
                            f"read_parquet({literal(coverage / '*.parquet')}, union_by_name=true)")
                con.execute("CREATE VIEW meta.coverage AS SELECT * FROM meta.coverage_history WHERE run_id = "
                            "(SELECT run_id FROM meta.builds ORDER BY built_at DESC LIMIT 1)")
        changes = root / "_meta" / "changes"      # final figures a correction changed (warehouse/changes.py)
        if any(changes.glob("*.parquet")):
            con.execute(f"CREATE VIEW meta.changes AS SELECT * FROM read_parquet({literal(changes / '*.parquet')}, "
                        "union_by_name=true)")
    finally:
        con.close()
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, target)
    wal = tmp.with_name(tmp.name + ".wal")
    if wal.exists():
        wal.unlink()
    return target
