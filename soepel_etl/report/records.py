"""The records of one family (outflows, people in the risk monitor, register entries) as a DuckDB relation.

The report never holds a family's records in Python: at national scale there are millions of outflows,
each with a 24-month path. Every figure a table needs is asked of DuckDB instead, and the answers are
small: a cell's count comes from one ``GROUP BY`` over the dimensions of its key (one query per set of
dimensions, cached, so a whole table of cohort × status is one query), the distinct values of a
dimension, the earliest observed month per row value, a percentile by nearest rank.

A family is written once to a Parquet file in a temporary folder (:func:`materialise`): the marts are
read and joined once, and every later query scans only the columns it needs from a compressed file, so
memory stays that of the largest aggregate, not of the records. The folder goes when the report's
connection is closed (:class:`Workspace`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb

from ..schema.rules import nearest_rank_sql
from ..schema.sql import literal, parquet
from .model import Key


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Workspace:
    """One DuckDB connection and a temporary folder for the families' files; ``close()`` removes both."""

    def __init__(self, memory_limit: str = "1GB"):
        self.folder = Path(tempfile.mkdtemp(prefix="soepel-report-"))
        self.con = duckdb.connect(config={"memory_limit": memory_limit,
                                          "temp_directory": str(self.folder / "spill")})
        self._n = 0

    def materialise(self, select: str, pairs: dict | None = None, marginals: dict | None = None) -> "Records":
        """Write the rows of ``select`` to a Parquet file of this workspace and return them as records.
        ``pairs``, ``marginals``: see :class:`Records`."""
        self._n += 1
        path = self.folder / f"family{self._n}.parquet"
        self.con.execute(f"COPY ({select}) TO {literal(path)} (FORMAT parquet, COMPRESSION zstd)")
        return Records(self.con, parquet(path), pairs=pairs, marginals=marginals)

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Records:
    """Counts and other aggregates of one family's records, each computed in DuckDB when first asked.

    ``count(key)`` follows pandas' ``==``: a key with a null value counts no record (null is equal to
    nothing), and so do records whose dimension is null.

    ``marginals`` ({dimension: {value: count}}): dimensions that are not columns, known only by how many
    records take each value, for a table that never splits them further (the status in each month of
    the 24-month path: 24 columns of text per outflow would cost more to write than the whole rest).
    Asking for one of them together with another dimension is an error.

    ``pairs`` ({(a, b): SQL}): the query giving the distinct (a, b) combinations in the order
    :meth:`pairs` must return them, when it is not the sorted order."""

    def __init__(self, con, relation: str, pairs: dict | None = None, marginals: dict | None = None):
        self.con = con
        self.relation = relation
        self.pair_sql = pairs or {}
        self.marginals = marginals or {}
        self.columns = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        self.columns += list(self.marginals)
        self._len: int | None = None
        self._counts: dict[tuple, dict] = {(d,): {(v,): n for v, n in counts.items()}
                                           for d, counts in self.marginals.items()}
        self._values: dict[str, list] = {d: [v for v in counts if v is not None]
                                         for d, counts in self.marginals.items()}
        self._min: dict[tuple, dict] = {}

    def __len__(self) -> int:
        if self._len is None:
            self._len = int(self.con.execute(f"SELECT count(*) FROM {self.relation}").fetchall()[0][0])
        return self._len

    def __contains__(self, dim: str) -> bool:
        return dim in self.columns

    def replaced(self, expressions: dict[str, str]) -> "Records":
        """The same records with columns replaced by SQL expressions over them (e.g. pooled cohorts)."""
        replace = ", ".join(f"{sql} AS {quote(name)}" for name, sql in expressions.items())
        if any(name in pair for name in expressions for pair in self.pair_sql):
            raise ValueError("a replaced column is one of the ordered pairs")
        return Records(self.con, f"(SELECT * REPLACE ({replace}) FROM {self.relation})", pairs=self.pair_sql,
                       marginals=self.marginals)

    def count(self, k: Key) -> int:
        dims = tuple(d for d, _ in k)
        values = tuple(v for _, v in k)
        if any(v is None for v in values):
            return 0
        counts = self._counts.get(dims)
        if counts is None:
            counts = self._counts[dims] = self._group_counts(dims)
        return counts.get(values, 0)

    def _group_counts(self, dims: tuple) -> dict:
        if not dims:
            return {(): len(self)}
        if set(dims) & set(self.marginals):
            raise ValueError(f"{', '.join(sorted(set(dims) & set(self.marginals)))} known only by its own counts, "
                             f"not together with {', '.join(d for d in dims if d not in self.marginals)}")
        cols = ", ".join(quote(d) for d in dims)
        rows = self.con.sql(f"SELECT {cols}, count(*) FROM {self.relation} GROUP BY ALL").fetchall()
        return {tuple(r[:-1]): int(r[-1]) for r in rows}

    def values(self, dim: str) -> list:
        """The distinct non-null values of a dimension, in no particular order."""
        if dim not in self._values:
            self._values[dim] = [r[0] for r in self.con.sql(
                f"SELECT DISTINCT {quote(dim)} FROM {self.relation} WHERE {quote(dim)} IS NOT NULL").fetchall()]
        return self._values[dim]

    def pairs(self, a: str, b: str) -> list[tuple]:
        """The distinct (a, b) combinations, nulls included, in the order the family's ``pairs`` query
        gives, else sorted. The order reaches the disclosure control's equations and so the solver's
        model: the same report must give the same bytes."""
        sql = self.pair_sql.get((a, b)) or (f"SELECT {quote(a)}, {quote(b)} FROM {self.relation} GROUP BY ALL "
                                            f"ORDER BY ALL NULLS LAST")
        return [tuple(r) for r in self.con.sql(sql).fetchall()]

    def minimum(self, column: str, by: str | None = None) -> dict:
        """The smallest non-null ``column`` per value of ``by`` (key None: over all records); a value whose
        records all have a null ``column`` is absent."""
        cache_key = (column, by)
        if cache_key not in self._min:
            if by is None:
                sql = f"SELECT NULL, min({quote(column)}) FROM {self.relation}"
            else:
                sql = f"SELECT {quote(by)}, min({quote(column)}) FROM {self.relation} GROUP BY ALL"
            self._min[cache_key] = {g: m for g, m in self.con.sql(sql).fetchall() if m is not None}
        return self._min[cache_key]

    def any_below(self, column: str, bound, by: str | None = None) -> set | bool:
        """Whether some record has ``column < bound``: per value of ``by`` (the set of values that do),
        or over all records."""
        mins = self.minimum(column, by)
        if by is None:
            return bool(mins) and mins[None] < bound
        return {g for g, m in mins.items() if m < bound}

    def nearest_rank(self, column: str, where: Key, by: str | None, percentiles) -> dict:
        """Per value of ``by`` (key None without ``by``): {p: the p-th percentile of ``column`` by nearest
        rank (the marts' own rule, :func:`~soepel_etl.schema.rules.nearest_rank_sql`)} over the records
        matching ``where`` with a non-null ``column``. Groups without such records are absent."""
        cond = " AND ".join(f"{quote(d)} = ?" for d, _ in where) or "true"
        group = quote(by) if by else "NULL"
        ranks = ", ".join(nearest_rank_sql("v", str(int(p))) for p in percentiles)
        rows = self.con.execute(f"""
            SELECT g, {ranks} FROM (
                SELECT {group} AS g, list_sort(list(CAST({quote(column)} AS DOUBLE))) AS v
                FROM {self.relation} WHERE {cond} AND {quote(column)} IS NOT NULL GROUP BY ALL)""",
                                [v for _, v in where]).fetchall()
        return {r[0]: dict(zip((int(p) for p in percentiles), r[1:])) for r in rows}
