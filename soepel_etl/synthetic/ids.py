"""Vectorised generation of valid (and deliberately invalid) Dutch person identifiers.

Both identifiers use the eleven-test from ``extracts.md``::

    s = 9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 - 1*d9

A BSN is valid when ``s % 11 == 0`` (and it is not ``000000000``); an onderwijsnummer is valid
when it starts with ``10`` and ``s % 11 == 5``.  Instead of drawing numbers and rejecting them one
by one, we draw the first eight digits and *compute* the check digit, dropping the (about 1 in 11)
prefixes whose check digit would have to be 10.
"""

from __future__ import annotations

import numpy as np

_WEIGHTS8 = np.array([9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
_POW8 = 10 ** np.arange(7, -1, -1, dtype=np.int64)  # digit positions of an 8-digit prefix


def _prefix_sum(prefix: np.ndarray) -> np.ndarray:
    """Weighted sum of the 8 digits of ``prefix`` (0 <= prefix < 1e8)."""
    digits = (prefix[:, None] // _POW8[None, :]) % 10
    return digits @ _WEIGHTS8


def _unique_in_draw_order(values: np.ndarray) -> np.ndarray:
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)]


def bsn_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid BSNs as int64 (render with 9 digits, leading zeros kept)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    out = np.zeros(0, dtype=np.int64)
    while out.size < n:
        need = n - out.size
        prefix = rng.integers(0, 10**8, size=int(need * 1.25) + 64, dtype=np.int64)
        check = _prefix_sum(prefix) % 11
        ok = (check <= 9) & (prefix > 0)
        cand = prefix[ok] * 10 + check[ok]
        out = _unique_in_draw_order(np.concatenate([out, cand]))
    return out[:n]


def onderwijsnummers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid onderwijsnummers (9 digits starting with ``10``) as int64."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n > 800_000:
        raise ValueError("at most ~900k distinct onderwijsnummers exist")
    out = np.zeros(0, dtype=np.int64)
    while out.size < n:
        need = n - out.size
        prefix = 10_000_000 + rng.integers(0, 10**6, size=int(need * 1.25) + 64, dtype=np.int64)
        check = (_prefix_sum(prefix) - 5) % 11
        ok = check <= 9
        cand = prefix[ok] * 10 + check[ok]
        out = _unique_in_draw_order(np.concatenate([out, cand]))
    return out[:n]


def break_checksum(values: np.ndarray) -> np.ndarray:
    """Change the check digit so the eleven-test fails (for injected bad rows).

    Changing only the last digit by k (1..9) changes the weighted sum by -k, never a multiple of 11.
    """
    last = values % 10
    return values - last + (last + 3) % 10


def is_valid_bsn(values: np.ndarray) -> np.ndarray:
    prefix = values // 10
    return ((_prefix_sum(prefix) - values % 10) % 11 == 0) & (values > 0) & (values < 10**9)


def is_valid_onderwijsnummer(values: np.ndarray) -> np.ndarray:
    prefix = values // 10
    return ((_prefix_sum(prefix) - values % 10) % 11 == 5) & (values // 10**7 == 10)
