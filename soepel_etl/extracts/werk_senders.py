"""Which municipalities deliver `werk`, how far each has got, and which still count (spec/extracts.md).

Each municipality delivers employment data for its own residents at its own pace. A sender is
*active* unless its latest delivery date is more than six months before the latest delivery date
of any sender; an inactive sender no longer holds the employment coverage month back and is named
as missing. A municipality that merged continues as one sender under today's code, so deliveries
under the old and the new code count together.

Pure functions over the loads manifest (a few hundred rows): no warehouse, no SQL needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..schema.rules import month_index

INACTIVE_AFTER_MONTHS = 6


@dataclass(frozen=True)
class WerkDelivery:
    """One loaded `werk` file: its sender code, its delivery date and, when known, the latest
    `periode` ('YYYY-MM') in its valid rows."""
    sender: str
    delivery_date: dt.date
    latest_periode: str | None = None


@dataclass(frozen=True)
class WerkSender:
    sender: str                     # today's municipality code
    codes: tuple[str, ...]          # every code it delivered under, sorted
    latest_delivery: dt.date
    coverage_month: str | None      # latest periode over its deliveries ('YYYY-MM'), None if unknown
    active: bool


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    index = month_index(day) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_month - dt.timedelta(days=1)).day))


def werk_senders(deliveries: Iterable[WerkDelivery | Mapping], current_code: Mapping[str, str] | None = None
                 ) -> list[WerkSender]:
    """Group `werk` deliveries per sender (following ``current_code``, old code → today's code, e.g.
    ``reference.current_municipality_map``) and judge each sender active or not. Rows may be
    ``WerkDelivery`` or mappings with ``sender``, ``delivery_date`` and optionally ``latest_periode``
    (a loads-manifest row). Sorted by sender."""
    current_code = current_code or {}
    grouped: dict[str, dict] = {}
    for row in deliveries:
        d = row if isinstance(row, WerkDelivery) else WerkDelivery(
            str(row["sender"]), row["delivery_date"], row.get("latest_periode"))
        code = d.sender.strip().upper()
        sender = current_code.get(code, code)
        g = grouped.setdefault(sender, {"codes": set(), "latest": d.delivery_date, "periode": None})
        g["codes"].add(code)
        g["latest"] = max(g["latest"], d.delivery_date)
        if d.latest_periode is not None:
            g["periode"] = max(g["periode"] or d.latest_periode, d.latest_periode)
    if not grouped:
        return []
    cutoff = months_before(max(g["latest"] for g in grouped.values()), INACTIVE_AFTER_MONTHS)
    return [WerkSender(sender, tuple(sorted(g["codes"])), g["latest"], g["periode"], g["latest"] >= cutoff)
            for sender, g in sorted(grouped.items())]


def employment_coverage_month(senders: Iterable[WerkSender]) -> str | None:
    """The earliest coverage among the active senders ('YYYY-MM'); None when no active sender has one."""
    months = [s.coverage_month for s in senders if s.active and s.coverage_month is not None]
    return min(months) if months else None


def missing_senders(senders: Iterable[WerkSender]) -> list[WerkSender]:
    """The inactive senders: to be named as missing in the run summary and the report."""
    return [s for s in senders if not s.active]
