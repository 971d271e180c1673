"""File profiles: the hand-off from ingest to the quality checks.

Ingest reduces every delivered file to one row before it is pseudonymised (``raw``) and one row of
what was staged (``staged``); the quality layer validates those rows with its suites. This module
is what both sides agree on: which columns a profile has, and the :class:`FileProfile` ingest
returns. No profile holds an identifier, a pseudonym, a birth date or a postcode.
"""

from __future__ import annotations

from dataclasses import dataclass

from .contracts import Source

BATCH_COLUMN = "batch"  # every reduction has one: the file (raw, staged) or table (core, marts) it describes

# delivered names of identifying columns, and the parsed copies ingest keeps beside them
RAW_IDENTIFYING = {"bsn", "onderwijsnummer", "geboortedatum", "postcode", "werkgever", "id_value"}


@dataclass
class FileProfile:
    """One delivered file, reduced: ``raw`` from the parsed rows, ``staged`` from its staged Parquet
    (None when the file never got that far). Each dict is one row of the ``raw_<source>`` /
    ``staged_<source>`` suite's reduction, with the file's name in :data:`BATCH_COLUMN`."""
    source: str
    file_name: str
    raw: dict | None = None
    staged: dict | None = None


def reason_columns(source: Source) -> dict[str, tuple[str, str]]:
    """Reason code (docs/ingest.md) → (profile column, rule kind) for the rules that can hit this source."""
    out = {}
    for c in source.columns:
        if c.kind == "identifier":
            continue
        if c.required or c.required_when:
            out[f"missing:{c.name}"] = (f"missing_rate_{c.name}", "missing")
        if c.kind in ("date", "month", "integer", "number"):
            out[f"unparseable:{c.name}"] = (f"unparseable_rate_{c.name}", "type")
        if (c.kind == "code" and c.domain) or c.kind == "pattern" or c.minimum is not None or c.maximum is not None:
            out[f"out_of_domain:{c.name}"] = (f"out_of_domain_rate_{c.name}", "domain")
    for _, end in source.start_end:
        out[f"end_before_start:{end}"] = (f"end_before_start_rate_{end}", "order")
    return out


def range_columns(source: Source) -> list[str]:
    """Date and month columns whose range is profiled (never the birth date: it is personal)."""
    return [c.name for c in source.columns if c.kind in ("date", "month") and c.name != "geboortedatum"]
