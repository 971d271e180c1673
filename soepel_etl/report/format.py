"""Dutch number formatting: 1.234 and 45,3%; suppressed cells as '<10'."""

from __future__ import annotations

import datetime as dt

from .model import Cell

SUPPRESSED = "<10"      # primary: 1 to 9 persons
PROTECTED = "x"         # secondary: 10 or more persons, hidden so that no <10 can be worked out


def number(value: int | float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


def percent(share: float) -> str:
    return f"{share * 100:.1f}".replace(".", ",") + "%"


def hidden_text(cell: Cell) -> str:
    """'<10' only for a person count of 1 to 9; a hidden non-person number (one that follows a person
    count) is always 'x', whatever its size, so its marker says nothing about it."""
    return SUPPRESSED if cell.key is not None and 1 <= cell.value < 10 else PROTECTED


def count_text(cell: Cell) -> str:
    return hidden_text(cell) if cell.suppressed else number(cell.value)


def share_text(cell: Cell) -> str | None:
    if cell.den is None or cell.share_suppressed or cell.share is None:
        return None
    return percent(cell.share)


def value_text(cell: Cell) -> str:
    if cell.suppressed:
        return hidden_text(cell)
    v = cell.value
    if cell.decimals is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:,.{cell.decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if isinstance(v, bool):
        return "ja" if v else "nee"
    if isinstance(v, (int, float)):
        return number(v)
    if isinstance(v, dt.date):
        return v.strftime("%d-%m-%Y")
    return str(v)
