"""Identifier rules (extracts.md, "Identifiers"): python-stdnum is the definition; the vectorised
DuckDB expressions used at ingest must agree with it on every string."""

import functools

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import onderwijsnummer as stdnum_onr

from soepel_etl.identity.identifiers import (
    bsn_valid_sql, is_valid_bsn, is_valid_onderwijsnummer, mask, normalised_sql, onderwijsnummer_valid_sql,
)


def sql_verdicts(values):
    """The package's SQL verdicts, one per value, in order (a cursor on one database: a new
    database per hypothesis example cost most of this test's time)."""
    n = normalised_sql("v")
    con = _database().cursor()
    try:
        rows = con.execute(f"SELECT {bsn_valid_sql(n)}, {onderwijsnummer_valid_sql(n)} FROM "
                           "(SELECT unnest($values) AS v, generate_subscripts($values, 1) AS i) ORDER BY i",
                           {"values": list(values)}).fetchall()
    finally:
        con.close()
    return [(bool(a), bool(b)) for a, b in rows]


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@pytest.mark.parametrize("value, bsn, onr", [
    ("123456782", True, False),
    ("012345672", True, False),
    ("12345672", True, False),       # 8 digits: the leading zero comes back
    ("1234567", False, False),       # 7 digits: not restored (stdnum alone would pad it)
    ("000000000", False, False),
    ("123456789", False, False),
    ("101222331", False, True),      # the spec's example onderwijsnummer
    (" 123456782 ", True, False),    # surrounding white space is not part of the value
    ("12345678a", False, False),
    ("", False, False),
    ("1234567820", False, False),
])
def test_known_values(value, bsn, onr):
    assert is_valid_bsn(value) is bsn
    assert is_valid_onderwijsnummer(value) is onr
    assert sql_verdicts([value]) == [(bsn, onr)]


def _reference(value):
    v = value.strip()
    if len(v) == 8 and v.isascii() and v.isdigit():
        v = "0" + v
    if len(v) != 9 or not (v.isascii() and v.isdigit()):
        return (False, False)
    return (stdnum_bsn.is_valid(v), stdnum_onr.is_valid(v))


digits = st.text(alphabet="0123456789", min_size=7, max_size=10)
near = st.one_of(digits, digits.map(lambda s: "10" + s[:7]), st.text(max_size=11))


@settings(max_examples=400, deadline=None)
@given(st.lists(near, min_size=1, max_size=50))
def test_sql_agrees_with_stdnum(values):
    assert sql_verdicts(values) == [_reference(v) for v in values]
    assert [(is_valid_bsn(v), is_valid_onderwijsnummer(v)) for v in values] == [_reference(v) for v in values]


def test_mask_keeps_only_last_three():
    assert mask("123456782") == "******782"
    assert mask("12") == "12"
