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


def literals(values) -> str:
    """A list of SQL string literals: ``['a', 'o''b']`` (Python's repr would put ``"o'b"``, an identifier)."""
    return "[" + ", ".join(literal(v) for v in values) + "]"


def parquet(paths: str | PathLike | list, **options: str) -> str:
    """``read_parquet('<path>'[, option=value …])`` (or over a list of paths), every path quoted."""
    extra = "".join(f", {k}={v}" for k, v in options.items())
    what = literals(paths) if isinstance(paths, (list, tuple)) else literal(paths)
    return f"read_parquet({what}{extra})"
