"""Keeping personal data out of everything the system writes.

``scrub`` is applied to every message that may quote delivered content (a DuckDB error names the
offending line, an exception may carry a value) before it is stored, logged or printed. It masks what
can be personal and nothing else, so that a message keeps its detail (docs/ingest.md, "Error messages"):

* identifiers: every run of nine or more digits, and an eight-digit run that passes the BSN
  eleven-test (a BSN delivered without its leading zero) unless it reads as a calendar date
  ``YYYYMMDD`` (a delivery date in a file name is not personal);
* birth dates: a full calendar date written with separators (``15-05-2003``, ``2003-05-15``,
  ``15/5/2003``). What is not a calendar date (an invalid ``--reference-date 2021-13-01``) is shown
  as typed.

``mask_identifiers`` alone is what a delivered file's *name* gets: a name may carry an identifier
(``leerlingen_123456782.csv``) but its dates are delivery dates.
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum.nl import bsn as _bsn

_DIGIT_RUN = re.compile(r"(?<!\d)\d{8,}(?!\d)")
_DATE = re.compile(r"(?<!\d)(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?!\d)")


def _is_compact_date(digits: str) -> bool:
    try:
        day = dt.datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        return False
    return 1900 <= day.year <= 2100


def _looks_like_identifier(digits: str) -> bool:
    if len(digits) >= 9:
        return True
    return _bsn.is_valid("0" + digits) and not _is_compact_date(digits)


def _mask(digits: str) -> str:
    return "*" * (len(digits) - 3) + digits[-3:]


def mask_identifiers(text: str) -> str:
    """Mask every digit run that is (or could be) a BSN or onderwijsnummer; keep the last three digits."""
    return _DIGIT_RUN.sub(lambda m: _mask(m.group()) if _looks_like_identifier(m.group()) else m.group(), text)


def _calendar_date(m: re.Match) -> bool:
    a, _, b, c = m.groups()
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif len(c) == 4:
        year, month, day = int(c), int(b), int(a)
    else:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def scrub(message: str) -> str:
    """Mask identifiers and full calendar dates (birth dates); leave everything else as it is."""
    message = _DATE.sub(lambda m: "<date>" if _calendar_date(m) else m.group(), message)
    return mask_identifiers(message)
