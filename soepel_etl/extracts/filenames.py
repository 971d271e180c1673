"""Delivery file names: ``<source>_<sender>_<leverdatum>.<ext>`` (extracts.md, "File names")."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..schema.contracts import PILOT_CODES, SOURCES

_NAME = re.compile(r"(?P<source>[a-z]+)_(?P<sender>[A-Za-z0-9]+)_(?P<date>[0-9]{8})\.(?P<ext>csv|xlsx)")
_SENDER = re.compile(r"GM[0-9]{4}|[0-9A-Z]{4}|" + "|".join(PILOT_CODES))


@dataclass(frozen=True)
class DeliveryName:
    source: str
    sender: str
    delivery_date: dt.date
    extension: str

    @property
    def sort_key(self) -> tuple[dt.date, str]:
        return (self.delivery_date, f"{self.source}_{self.sender}_{self.delivery_date:%Y%m%d}.{self.extension}")


class BadName(ValueError):
    """The file name does not follow the delivery pattern; the message is the stored reason."""


def parse_delivery_name(path: Path, folder: str | None = None) -> DeliveryName:
    """Parse and check a delivered file's name; ``folder`` is the landing sub-folder it lies in."""
    match = _NAME.fullmatch(path.name)
    if not match:
        raise BadName(f"file name does not follow <source>_<sender>_<YYYYMMDD>.csv|.xlsx: {path.name!r}")
    source, sender, ext = match["source"], match["sender"], match["ext"]
    if source not in SOURCES:
        raise BadName(f"unknown source {source!r} in file name (expected one of {', '.join(SOURCES)})")
    if folder is not None and folder != source:
        raise BadName(f"a {source} file in the landing folder {folder!r}; it belongs in {source}/")
    if not _SENDER.fullmatch(sender):
        raise BadName(f"sender {sender!r} is not a BRIN code, a GM municipality code or a pilot code")
    try:
        day = dt.datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        raise BadName(f"delivery date {match['date']!r} in file name is not a calendar date") from None
    if ext == "xlsx" and not SOURCES[source].xlsx_allowed:
        raise BadName(f"{source} is delivered as .csv only; .xlsx is accepted for onderwijs, deelnemers and interventies")
    return DeliveryName(source=source, sender=sender, delivery_date=day, extension=ext)
