"""Keeping personal data out of everything the system writes.

``scrub`` is applied to every message that may quote delivered content (a DuckDB error names the
offending line, an exception may carry a value) before it is stored, logged or printed.
"""

from __future__ import annotations

import re

_DIGIT_RUN = re.compile(r"\d{6,}")
_DATE = re.compile(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")


def scrub(message: str) -> str:
    """Mask runs of six or more digits (identifiers) and anything shaped like a date."""
    message = _DATE.sub("<date>", message)
    return _DIGIT_RUN.sub(lambda m: "*" * (len(m.group()) - 3) + m.group()[-3:], message)
