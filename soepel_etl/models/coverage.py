"""The build's coverage months, per `werk` sender (spec/extracts.md, werk).

Each municipality delivers employment for its own residents at its own pace. A sender's coverage is
the latest `periode` in its valid (staged) `werk` rows; the employment coverage month is the earliest
coverage among the *active* senders, so that a municipality that is behind never turns its residents'
missing months into "no work". Inactive senders (latest delivery more than six months before the
latest `werk` delivery of any sender) no longer hold the month back and are named as missing.

The grouping and the activity rule live in :mod:`soepel_etl.extracts.werk_senders` (pure Python);
this module only feeds it from the build's staging views and the reference folder, so the build
(``models/build.py``) needs one call. A merged municipality continues as one sender under today's
code: old codes are mapped through ``gemeente_herindelingen.csv`` as of the build's reference date
(not the wall clock: the same loads give the same numbers). Before a merger took effect its parts
are still separate senders, so one of them that is behind still holds the month back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..extracts.werk_senders import WerkDelivery, WerkSender, employment_coverage_month, werk_senders
from ..reference import current_municipality_map
from ..schema import rules as d


def werk_deliveries(con) -> list[WerkDelivery]:
    """One row per staged `werk` file: its sender, delivery date and latest `periode`.

    Reads the build's ``stg_werk`` view (every committed and this run's staged file, with surrogates
    filled in for old staging). A file whose rows were all quarantined has no staged rows and so is
    no delivery here: it neither covers a month nor keeps its sender active."""
    rows = con.execute("SELECT load_id, any_value(sender), any_value(delivery_date), max(month_index) "
                       "FROM stg_werk GROUP BY load_id ORDER BY load_id").fetchall()
    return [WerkDelivery(str(sender), delivery, None if latest is None else d.month_text(latest))
            for _, sender, delivery, latest in rows if sender is not None and delivery is not None]


def sender_coverage(con, reference_dir: Path | None = None, as_of: dt.date | None = None) -> list[WerkSender]:
    """Every `werk` sender (today's municipality code) with its coverage and whether it is active."""
    current = current_municipality_map(reference_dir, as_of) if reference_dir is not None else {}
    return werk_senders(werk_deliveries(con), current)


def holds_back(sender: WerkSender, employment_month: str | None) -> bool:
    """The active sender(s) whose coverage is the employment coverage month: they hold it back."""
    return sender.active and employment_month is not None and sender.coverage_month == employment_month


__all__ = ["WerkSender", "employment_coverage_month", "holds_back", "sender_coverage", "werk_deliveries"]
