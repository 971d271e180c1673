"""Validation of the two person identifiers, exactly as ``extracts.md`` defines them.

python-stdnum is the definition (``stdnum.nl.bsn`` and ``stdnum.nl.onderwijsnummer``); the single-value
functions below call it. Ingest validates millions of values per file, so it uses the equivalent
vectorised DuckDB expressions further down; ``tests/unit/test_identifiers.py`` checks with hypothesis
that both give the same verdict for every string.

The spec's rules on top of stdnum: only an 8-digit value gets *one* leading zero back (stdnum would
pad any short number), and values are taken as delivered apart from surrounding white space.
"""

from __future__ import annotations

from stdnum.nl import bsn as _bsn
from stdnum.nl import onderwijsnummer as _onderwijsnummer

IDENTIFIER_TYPES = ("bsn", "onderwijsnummer")


def normalise(value: str | None) -> str | None:
    """Trim, and give an 8-digit value its leading zero back; None when it cannot be an identifier."""
    if value is None:
        return None
    value = value.strip()
    if len(value) == 8 and value.isascii() and value.isdigit():
        value = "0" + value
    if len(value) != 9 or not (value.isascii() and value.isdigit()):
        return None
    return value


def is_valid_bsn(value: str | None) -> bool:
    """A 9-digit (or 8-digit, zero restored) citizen service number passing the eleven-test."""
    number = normalise(value)
    return number is not None and _bsn.is_valid(number)


def is_valid_onderwijsnummer(value: str | None) -> bool:
    """A 9-digit education number starting with 10 whose weighted sum leaves remainder 5 mod 11."""
    number = normalise(value)
    return number is not None and _onderwijsnummer.is_valid(number)


def mask(value: str | None) -> str | None:
    """All but the last three characters replaced by ``*``: enough to find the row, not the person."""
    if value is None:
        return None
    value = value.strip()
    return "*" * max(len(value) - 3, 0) + value[-3:]


# --- vectorised equivalents, for DuckDB ---------------------------------------------------------

def normalised_sql(column: str) -> str:
    """SQL: the trimmed value, 8 digits zero-padded to 9; NULL unless it is 9 ASCII digits then."""
    trimmed = f"trim({column})"
    return (
        f"(CASE WHEN regexp_full_match({trimmed}, '[0-9]{{8}}') THEN '0' || {trimmed} "
        f"WHEN regexp_full_match({trimmed}, '[0-9]{{9}}') THEN {trimmed} END)"
    )


def _weighted_sum_sql(number: str) -> str:
    # 9*d1 + 8*d2 + ... + 2*d8 - 1*d9, the sum both identifiers are built on
    terms = [f"{9 - i} * CAST(substr({number}, {i + 1}, 1) AS INTEGER)" for i in range(8)]
    return "(" + " + ".join(terms) + f" - CAST(substr({number}, 9, 1) AS INTEGER))"


def bsn_valid_sql(normalised: str) -> str:
    """SQL boolean over an already normalised value (see :func:`normalised_sql`)."""
    return (
        f"coalesce({normalised} IS NOT NULL AND {normalised} <> '000000000' "
        f"AND ({_weighted_sum_sql(normalised)}) % 11 = 0, false)"
    )


def onderwijsnummer_valid_sql(normalised: str) -> str:
    """SQL boolean over an already normalised value; DuckDB's % keeps the dividend's sign, hence the +11."""
    return (
        f"coalesce({normalised} IS NOT NULL AND starts_with({normalised}, '10') "
        f"AND ((({_weighted_sum_sql(normalised)}) % 11) + 11) % 11 = 5, false)"
    )
