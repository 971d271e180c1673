"""SQL text built from values: a path or a name inside a DuckDB statement is always a quoted literal.

A warehouse or landing folder may hold a quote (``/data/o'brien``); written unquoted into SQL it
breaks the statement, or changes it. Bound parameters are used where DuckDB takes them; table
functions and ``COPY … TO`` need the literal in the text, and this is the one place that makes it.
"""

from __future__ import annotations

from os import PathLike


def literal(value: str | PathLike) -> str:
    """``value`` as a SQL string literal: ``o'brien`` → ``'o''brien'``."""
    return "'" + str(value).replace("'", "''") + "'"


def parquet(path_or_glob: str | PathLike, **options: str) -> str:
    """``read_parquet('<path>'[, option=value …])`` with the path quoted."""
    extra = "".join(f", {k}={v}" for k, v in options.items())
    return f"read_parquet({literal(path_or_glob)}{extra})"
