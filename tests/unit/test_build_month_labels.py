"""The build's month-label range reads werk's months from the staged files' Parquet statistics
(models/build.py: _werk_month_bounds); where a file has no statistics it scans, with the same answer."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from soepel_etl.models.build import _werk_month_bounds


def _werk(con, tmp_path, parts: list[list[int]], statistics: list[bool]):
    paths = []
    for i, (months, stats) in enumerate(zip(parts, statistics)):
        path = tmp_path / f"werk-{i}.parquet"
        # several row groups, so that the minimum and maximum sit in different ones
        pq.write_table(pa.table({"month_index": pa.array(months, pa.int32())}), path, row_group_size=3,
                       write_statistics=stats)
        paths.append(str(path))
    con.execute("CREATE TABLE werk_files (path VARCHAR, has_surrogates BOOLEAN)")
    con.executemany("INSERT INTO werk_files VALUES (?, true)", [(p,) for p in paths])
    con.execute(f"CREATE VIEW stg_werk_ranked AS SELECT month_index FROM read_parquet({paths!r})")


@pytest.mark.parametrize("statistics", [[True, True], [True, False]])
def test_werk_month_bounds_equal_a_scan(tmp_path, statistics):
    con = duckdb.connect()
    _werk(con, tmp_path, [[24240, 24250, 24245, 24239, 24241], [24300, 24238, 24260, 24290]], statistics)
    scanned = con.execute("SELECT min(month_index), max(month_index) FROM stg_werk_ranked").fetchone()
    if all(statistics):     # answered from the statistics alone: without the rows to scan, too
        con.execute("DROP VIEW stg_werk_ranked")
    assert _werk_month_bounds(con) == scanned == (24238, 24300)


def test_no_staged_werk_has_no_bounds(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE werk_files (path VARCHAR, has_surrogates BOOLEAN)")
    con.execute("CREATE VIEW stg_werk_ranked AS SELECT CAST(NULL AS INTEGER) AS month_index WHERE false")
    assert _werk_month_bounds(con) == (None, None)
