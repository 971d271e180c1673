"""The report as data: sections holding tables of cells, before any HTML or Excel is written.

A count cell carries a *key*: the predicate it counts, as sorted ``(dimension, value)`` pairs over
the records of its *family* (outflows, people in the risk monitor, register entries). Two cells with
the same key in one family are the same number wherever they appear, so disclosure control
suppresses them together; the key also lets the tests rebuild every cell from the marts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Key = tuple  # tuple[tuple[str, object], ...], sorted


def key(*pairs, base: Key = ()) -> Key:
    merged = dict(base)
    for dim, value in pairs:
        merged[dim] = value
    return tuple(sorted(merged.items(), key=lambda kv: kv[0]))


def key_text(k: Key) -> str:
    return "|".join(f"{d}={v}" for d, v in k) if k else "*"


@dataclass
class Cell:
    value: object                   # an exact count (int), or text / a date for descriptive cells
    key: Key | None = None          # the count's predicate in the table's family (None: not a person count)
    den: Key | None = None          # the share's denominator: share = value / count(den)
    follows: Key | None = None      # a non-person number, shown only when this person count is shown
    share: float | None = None      # computed from exact counts, before suppression
    suppressed: bool = False        # set by disclosure control
    share_suppressed: bool = False
    wage_n: int | None = None       # a wage percentile over this many outflows (value: euros; the wage rule)
    decimals: int | None = None     # a non-person amount shown with this many decimals (e.g. euros and cents)

    @property
    def is_count(self) -> bool:
        return self.key is not None


@dataclass
class Table:
    id: str                         # also the workbook's sheet name (≤ 31 characters)
    title: str
    stub: str                       # header of the row-label column
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    family: str | None = None       # None: no person counts (files, rows)
    unit: str = "jongeren"
    note: str = ""
    chart: str | None = None        # stacked | area | bars | None
    colours: list[str] | None = None
    lines: list[tuple[Key, list[Key]]] = field(default_factory=list)   # additive: total = sum(parts)
    total_rows: set = field(default_factory=set)   # row indices to render as totals
    provisional: bool = False       # holds figures that change as data arrives (marked in title and note)
    withheld_rows: list = field(default_factory=list)   # labels of rows left out by disclosure control
    shares_of: str = "rij"          # what a share is of: the row's total, or a column's ("kolom")
    chart_skip: set = field(default_factory=set)   # column indices a stacked chart leaves out (subtotals)

    def cells(self):
        for _, cells in self.rows:
            yield from cells

    def has_shares(self) -> bool:
        return any(c.den is not None for c in self.cells())


@dataclass
class Section:
    id: str
    title: str
    intro: list[str]                # paragraphs (plain text)
    tables: list[Table] = field(default_factory=list)
    html_extra: str = ""           # pre-rendered, escaped HTML (e.g. the definitions list)


@dataclass
class Report:
    title: str
    subtitle: str
    audience: str
    selection_label: str
    build_label: str
    sections: list[Section]
    families: dict                  # family name → records DataFrame (for disclosure control only)
    disclosure: dict = field(default_factory=dict)   # what disclosure control hid, per family and table

    def tables(self):
        for s in self.sections:
            yield from s.tables
