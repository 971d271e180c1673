"""Reading the report back: HTML tables, Dutch numbers, cell keys."""

from __future__ import annotations

import re
from html.parser import HTMLParser


# -- reading the HTML back -------------------------------------------------------------------------
class TableParser(HTMLParser):
    """Every <table class="data">: its id, family, and cells with their visible text and data-* keys."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self._table = None
        self._row = None
        self._cell = None
        self._span = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data" in (a.get("class") or "").split():
            self._table = {"id": a["data-table"], "family": a.get("data-family") or None, "rows": [],
                           "hidden": int(a["data-hidden"]) if a.get("data-hidden") else None,
                           "withheld": int(a.get("data-withheld") or 0)}
            self.tables[a["data-table"]] = self._table
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = {"tag": tag, "key": a.get("data-key"), "den": a.get("data-den"),
                          "follows": a.get("data-follows"), "n": "", "p": None, "text": ""}
        elif self._cell is not None and tag == "span":
            self._span = a.get("class")
            if self._span == "p":
                self._cell["p"] = ""

    def handle_endtag(self, tag):
        if tag == "span":
            self._span = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is None:
            return
        self._cell["text"] += data
        if self._span == "n":
            self._cell["n"] += data
        elif self._span == "p":
            self._cell["p"] += data


def parse_tables(html: str) -> dict:
    parser = TableParser()
    parser.feed(html)
    return parser.tables


def parse_number(text: str):
    text = text.strip()
    if text == "<10":
        return "<10"
    if re.fullmatch(r"-?[\d.]+(,\d+)?%?", text):
        return float(text.rstrip("%").replace(".", "").replace(",", "."))
    return text


def parse_key(text: str | None):
    """'cohort=2019|m6=werk' → {'cohort': '2019', 'm6': 'werk'} (values as text)."""
    if text is None:
        return None
    if text == "*":
        return {}
    return dict(part.split("=", 1) for part in text.split("|"))
