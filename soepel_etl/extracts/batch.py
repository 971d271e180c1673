"""A batch: the files of one source, checked, pseudonymised and staged by one set of SQL statements.

Each file is still read on its own (:mod:`.reader`: encoding, header and malformed lines belong to a
file), into a table of its own. The batch then stacks them into one relation, ``batch_raw``, with
the file's number and delivery date on every row, and every step after that — the row checks
(:mod:`.rows`), the counts and profiles, the pseudonyms, staging, quarantine — is one statement for
the whole batch, grouped or partitioned by file where a rule is per file. Even the files' own
staging and quarantine Parquet are written from one streamed query each (:func:`write_per_file`).

Why: a small delivery's rows cost little, but each SQL statement has a fixed cost (parsing, binding
and planning the wide generated row-check query, starting its pipeline) of several milliseconds.
Per file that was two thirds of a demo run (docs/performance.md, "Per-file cost").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..schema.contracts import Source
from ..schema.sql import literal
from .reader import ReadResult
from .rows import quoted
from .staging import has_employer, quarantine_select, staged_batch_query, staging_from


# the files of one batch are read into memory together (as text, then typed): this bounds it; a
# larger file is a batch of its own, as before batching
BATCH_BYTES = 256 * 1024 * 1024


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


def drop_read(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Drop what the reader left for these files (:func:`.reader.read_csv`), in one call."""
    if tables:
        con.execute("; ".join(f"DROP VIEW IF EXISTS {t}; DROP TABLE IF EXISTS {t}_lines; "
                              f"DROP TABLE IF EXISTS {t}_unnumbered; DROP TABLE IF EXISTS {t}_rejects; "
                              f"DROP TABLE IF EXISTS {t}_reject_scans" for t in tables))


def free_rows(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Drop the files' text rows (read into ``tables``) once ``typed`` holds them: a batch may be as
    large as :data:`BATCH_BYTES`. The small objects left are dropped with the batch's connection."""
    con.execute("DROP VIEW batch_raw; " + "; ".join(f"DROP TABLE {t}_unnumbered; DROP TABLE IF EXISTS {t}_lines"
                                                     for t in tables))


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
        values = ", ".join(quoted(c.name) if c.name in present else f"CAST(NULL AS VARCHAR) AS {quoted(c.name)}"
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


def staged_rows(source: Source) -> str:
    """The batch's staged rows in file order, each file's in staging's order: werk sorted by person
    so a build reading one range of persons skips the Parquet row groups of all others (min/max
    statistics); the pseudonym joins do not keep the file's order, so line_number keeps staging
    deterministic."""
    order = "person_id, month_index, line_number" if source.name == "werk" else "line_number"
    return f"SELECT * FROM staged ORDER BY file_no, {order}"


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


QUARANTINED = "SELECT * FROM quarantined ORDER BY file_no, line_number"

# DuckDB's own row group size: a build reading one range of persons skips the others' row groups
ROW_GROUP_ROWS = 122_880

Shape = Callable[[int, pa.RecordBatch], pa.RecordBatch]


class StagedShape:
    """Staging's rows from the batch's sorted rows (:func:`.staging.staging_select`): the file's
    lineage in front, and each pseudonym gathered by its number (``person_no`` → ``person_key``,
    ``employer_no`` → ``employer_key``). The sort carried the numbers, not the 64-character keys."""

    LINEAGE = (("load_id", pa.string()), ("file_name", pa.string()), ("sender", pa.string()),
               ("delivery_date", pa.date32()))

    def __init__(self, con: duckdb.DuckDBPyConnection, source: Source, files: list[BatchFile]):
        self.lineage = {f.file_no: (f.load_id, f.file_name, f.sender, f.delivery_date) for f in files}
        self.keys = {"person_no": ("person_key", _numbered_keys(con, "person_keys", "person_key", "person_no"))}
        if has_employer(source):
            self.keys["employer_no"] = ("employer_key",
                                        _numbered_keys(con, "employer_keys", "employer_key", "employer_no"))

    def __call__(self, file_no: int, rows: pa.RecordBatch) -> pa.RecordBatch:
        n = rows.num_rows
        names = [name for name, _ in self.LINEAGE]
        arrays = [pa.repeat(pa.scalar(value, kind), n) for value, (_, kind) in zip(self.lineage[file_no], self.LINEAGE)]
        for name, column in zip(rows.schema.names, rows.columns):
            if name in self.keys:
                name, keys = self.keys[name]
                column = keys.take(column)
            names.append(name)
            arrays.append(column)
        return pa.RecordBatch.from_arrays(arrays, names=names)


def _numbered_keys(con: duckdb.DuckDBPyConnection, table: str, key: str, number: str) -> pa.Array:
    """The keys of ``table`` as one array, the key numbered ``k`` at position ``k``."""
    return con.sql(f"SELECT {key} FROM {table} ORDER BY {number}").to_arrow_table().column(0).combine_chunks()


def write_staged(con: duckdb.DuckDBPyConnection, source: Source, files: list[BatchFile], paths: dict[int, Path]) -> None:
    """Each file's staged rows (``staged``, :func:`stage`) to its staging Parquet file."""
    write_per_file(con, staged_rows(source), paths, shape=StagedShape(con, source, files))


def _parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(path, schema, compression="zstd")


def write_per_file(con: duckdb.DuckDBPyConnection, query: str, paths: dict[int, Path], params: dict | None = None,
                   shape: Shape | None = None) -> None:
    """Write the rows of ``query`` (ordered by ``file_no``) to one Parquet file per file of the batch
    (``paths``: file_no → path), without the ``file_no`` column and, with ``shape``, as it makes
    each file's rows; a file without rows gets an empty file. One query streamed in record batches,
    not a ``COPY`` per file: a ``COPY`` has a fixed cost of ~3 ms, most of a small delivery's write;
    memory stays at one row group per open file."""
    # a relation, not an executed DB-API result: that one would copy every row once more for Arrow
    reader = con.sql(query, params=params).to_arrow_reader(ROW_GROUP_ROWS)
    rows_schema = reader.schema.remove(reader.schema.get_field_index("file_no"))
    shape = shape or (lambda file_no, rows: rows)
    schema = shape(next(iter(paths)), pa.RecordBatch.from_pylist([], schema=rows_schema)).schema
    written: set[int] = set()
    writer, pending, rows = None, [], 0

    def flush(whole_groups_only: bool) -> None:
        """Write what is pending: whole row groups only while the file's rows keep coming."""
        nonlocal pending, rows
        table = pa.Table.from_batches(pending, schema)
        done = rows - rows % ROW_GROUP_ROWS if whole_groups_only else rows
        if done:
            writer.write_table(table.slice(0, done), row_group_size=ROW_GROUP_ROWS)
        pending, rows = table.slice(done).to_batches(), rows - done

    try:
        current = None
        for chunk in reader:
            file_nos = chunk.column("file_no").to_numpy()
            values = chunk.drop_columns(["file_no"])
            starts = [0, *(np.flatnonzero(np.diff(file_nos)) + 1).tolist()]
            for start, end in zip(starts, [*starts[1:], len(file_nos)]):
                if int(file_nos[start]) != current:
                    if writer is not None:
                        flush(whole_groups_only=False)
                        writer.close()
                    current = int(file_nos[start])
                    writer = _parquet_writer(paths[current], schema)
                    written.add(current)
                pending.append(shape(current, values.slice(start, end - start)))
                rows += end - start
                if rows >= ROW_GROUP_ROWS:
                    flush(whole_groups_only=True)
        if writer is not None:
            flush(whole_groups_only=False)
    finally:
        # an unread rest of the result would block the connection (and hide this error behind that)
        reader.close()
        if writer is not None:
            writer.close()
    for file_no, path in paths.items():
        if file_no not in written:
            _parquet_writer(path, schema).close()
