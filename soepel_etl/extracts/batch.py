"""A batch: the files of one source, checked, pseudonymised and staged by one set of SQL statements.

Each file is still read on its own (:mod:`.reader`: encoding, header and malformed lines belong to a
file), into a table of its own. The batch then stacks them into one relation, ``batch_raw``, with
the file's number and delivery date on every row, and every step after that — the row checks
(:mod:`.rows`), the counts and profiles, the pseudonyms, staging, quarantine — is one statement for
the whole batch, grouped or partitioned by file where a rule is per file. Only writing a file's own
staging and quarantine Parquet is a statement per file.

Why: a small delivery's rows cost little, but each SQL statement has a fixed cost (parsing, binding
and planning the wide generated row-check query, starting its pipeline) of several milliseconds.
Per file that was two thirds of a demo run (docs/performance.md, "Per-file cost").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from ..schema.contracts import Source
from ..schema.sql import literal
from .reader import ReadResult
from .staging import quarantine_select, staged_batch_query, staging_from


# the files of one batch are read into memory together (as text, then typed): this bounds it; a
# larger file is a batch of its own, as before batching
BATCH_BYTES = 256 * 1024 * 1024


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class BatchFile:
    """One file of a batch, read: its number in the batch and the lineage staging writes beside its rows."""
    file_no: int
    load_id: str
    file_name: str
    sender: str
    delivery_date: dt.date
    read: ReadResult
    previous_rows: int | None = None   # rows read of the sender's previous delivery (the raw profile compares)


# the objects a batch leaves on the run's connection; each file's read tables are dropped by ``stack``
_VIEWS = ("checked", "batch_raw")
_TABLES = ("typed", "duplicate_lines", "conflict_lines", "person_keys", "employer_keys", "staged", "quarantined",
           "malformed", "batch_files")


def drop_read(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop what the reader left for one file (:func:`.reader.read_csv`)."""
    con.execute(f"DROP VIEW IF EXISTS {table}; DROP TABLE IF EXISTS {table}_lines; "
                f"DROP TABLE IF EXISTS {table}_unnumbered")


def stack(con: duckdb.DuckDBPyConnection, source: Source, files: list[BatchFile]) -> None:
    """``batch_files`` (file_no → lineage) and ``batch_raw``: every file's rows as text, each with
    ``file_no``, ``line_number`` and ``delivery_date``, and every column of the source (NULL where a
    file does not have it). A view over the files' own tables: nothing is copied."""
    con.execute("CREATE OR REPLACE TEMP TABLE batch_files (file_no INTEGER, load_id VARCHAR, file_name VARCHAR, "
                "sender VARCHAR)")
    con.executemany("INSERT INTO batch_files VALUES (?, ?, ?, ?)",
                    [(f.file_no, f.load_id, f.file_name, f.sender) for f in files])
    branches = []
    for f in files:
        present = set(f.read.columns)
        values = ", ".join(_q(c.name) if c.name in present else f"CAST(NULL AS VARCHAR) AS {_q(c.name)}"
                           for c in source.columns)
        branches.append(f"SELECT {f.file_no} AS file_no, line_number, DATE {literal(f.delivery_date.isoformat())} "
                        f"AS delivery_date, {values} FROM {f.read.table}")
    con.execute("CREATE OR REPLACE TEMP VIEW batch_raw AS " + "\nUNION ALL ".join(branches))


def stage(con: duckdb.DuckDBPyConnection, source: Source, select: str, pads: tuple[str, str]) -> None:
    """``staged``: the batch's good rows pseudonymised, with ``file_no`` (``select``: the staging
    SELECT list, :func:`.staging.staging_select`). Pseudonyms are computed once per distinct value
    in the batch, not per file."""
    ipad, opad = pads
    *prepare, from_clause = staging_from(source)
    for statement in prepare:
        con.execute(statement, {"ipad": ipad, "opad": opad})
    con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {staged_batch_query(source, select, from_clause)}")


def quarantine(con: duckdb.DuckDBPyConnection, source: Source, files: list[BatchFile]) -> None:
    """``quarantined``: every file's quarantined rows, masked, with the rows its reader could not
    split (no values at all), each with ``file_no``."""
    q = (f"SELECT {quarantine_select(source)} FROM checked JOIN batch_files USING (file_no) "
         f"WHERE NOT is_duplicate AND len(reasons) > 0")
    malformed = [(f.file_no, line, f"malformed_row:{error}") for f in files for line, error in f.read.malformed]
    if malformed:
        con.execute("CREATE OR REPLACE TEMP TABLE malformed(file_no INTEGER, line_number BIGINT, reason VARCHAR)")
        con.executemany("INSERT INTO malformed VALUES (?, ?, ?)", malformed)
        nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {c.name}" for c in source.columns)
        q += (f" UNION ALL BY NAME SELECT file_no, load_id, file_name, $source AS source, line_number, "
              f"[reason] AS reasons, reason, {nulls} FROM malformed JOIN batch_files USING (file_no)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE quarantined AS {q}", {"source": source.name})


QUARANTINED_FILE = "SELECT * EXCLUDE (file_no) FROM quarantined WHERE file_no = $file_no ORDER BY line_number"


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the batch's tables and views, so the next batch starts clean and their memory is free.
    One call: a catalog query per batch costs more."""
    con.execute("; ".join([f"DROP VIEW IF EXISTS {v}" for v in _VIEWS]
                          + [f"DROP TABLE IF EXISTS {t}" for t in _TABLES]))
