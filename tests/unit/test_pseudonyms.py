"""Pseudonyms (definitions.md): HMAC-SHA256(key, "<type>:<value>"), key from the environment, >= 32 bytes."""

import hashlib
import hmac

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soepel_etl.identity.pseudonyms import KEY_ENV_VAR, PseudonymKey, PseudonymKeyError, hmac_sql


def test_formula_is_the_public_one():
    key = PseudonymKey.from_text("k" * 32)
    expected = hmac.new(b"k" * 32, b"bsn:123456782", hashlib.sha256).hexdigest()
    assert key.pseudonym("bsn", "123456782") == expected


@pytest.mark.parametrize("secret", [None, "", "short", "x" * 31])
def test_missing_or_short_key_is_refused(secret):
    environ = {} if secret is None else {KEY_ENV_VAR: secret}
    with pytest.raises(PseudonymKeyError, match=KEY_ENV_VAR):
        PseudonymKey.from_environment(environ)


def test_key_never_shows_in_repr():
    key = PseudonymKey.from_text("s3cret" * 8)
    assert "s3cret" not in repr(key) and "s3cret" not in str(key)


@settings(max_examples=60, deadline=None)
@given(secret=st.text(min_size=32, max_size=200).filter(lambda s: len(s.encode()) >= 32),
       values=st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_sql_hmac_equals_python_hmac(secret, values):
    key = PseudonymKey.from_text(secret)
    ipad, opad = key.pads()
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    got = [r[0] for r in con.execute(f"SELECT {hmac_sql(chr(39) + 'bsn:' + chr(39) + ' || v')} FROM t ORDER BY i",
                                     {"ipad": ipad, "opad": opad}).fetchall()]
    assert got == [key.pseudonym("bsn", v) for v in values]
