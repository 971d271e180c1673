"""Disclosure control for published reports (definitions.md, "Disclosure control").

Zeros are shown. Primary suppression: every person count of 1 to 9 is shown as ``<10``. Secondary
suppression: more cells, shown as ``x``, chosen by an integer program over all tables of one report
together (:mod:`.suppression`), so that every suppressed cell keeps a range of at least 5 given
everything the report publishes, and the persons hidden are as few as possible.

What the reader can know is written down here as linear equations over the cells of each *family*
(all tables counting the same people; a cell is identified by its key, so the same count in two
tables is one unknown):

- **partitions**: a cell equals the sum of the cells that split it by one more dimension, when the
  report has a cell for every value of that dimension (every row and column total of a table, and
  the same relation between tables: the ``cohort`` column of one table and the cohort rows of another);
- **hierarchies** known from public reference data: a region's cell is the sum of its
  municipalities' cells;
- **identities** from the definitions: a provisional outflow is one whose month 24 is unknown, and
  whose sustained destination and sustained work, its work in month 24, durable work and same employer
  are unknown; likewise an outflow whose month 12 is unknown has unknown work in month 12;
- every **line** a table declares (a total and its parts, e.g. those with work and their hours bands),
  when all its cells are in the report;
- the **persons hidden** in each table, which the page states: the sum of its suppressed cells.

Shares are computed from exact counts before suppression and shown only when both their count and
their denominator are shown (a share next to a shown count would otherwise reveal its denominator).

Wage percentiles follow the wage rule (:func:`wage_rule`, definitions.md "Work after outflow"): in
``publiek`` a percentile is shown only when at least ``WAGE_PUBLISH_MIN`` outflows underlie it, rounded
to the nearest ``WAGE_PUBLISH_ROUND`` euros, and only when the count of those outflows is shown.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

import numpy as np

from decimal import ROUND_HALF_UP, Decimal

from ..schema.rules import WAGE_PUBLISH_MIN, WAGE_PUBLISH_ROUND
from . import suppression
from .model import Key, Report, Table
from .records import Records

THRESHOLD = 10
PRIMARY = "<10"
SECONDARY = "x"

# Equal by definition (definitions.md: final_24, status "nog onbekend", sustained_* null; work after
# outflow: every column null when its month is not observed)
IDENTITIES = [(("f24", "voorlopig"), ("m24", "onbekend"), ("sd", "onbekend"), ("sw", "onbekend"),
               ("w24", "onbekend"), ("dw", "onbekend"), ("se", "onbekend")),
              (("m12", "onbekend"), ("w12", "onbekend"))]
# (finer, coarser): every value of the finer dimension lies in one value of the coarser, publicly known
HIERARCHIES = [("gemeente", "region")]


@dataclass
class FamilyResult:
    name: str
    cells: int
    primary: int
    secondary: int
    persons_hidden: int
    rounds: int
    seconds: float
    gap: float = 0.0     # of the final master solve: within suppression.MIP_GAP unless the node limit stopped it


class Family:
    """The count cells of one family across all tables, and the equations a reader can know."""

    def __init__(self, name: str, records: Records, tables: list[Table]):
        self.name = name
        self.tables = tables
        self.values: dict[Key, int] = {}
        for table in tables:
            for cell in table.cells():
                if cell.key is not None:
                    previous = self.values.setdefault(cell.key, int(cell.value))
                    if previous != cell.value:
                        raise AssertionError(f"{name}: key {cell.key} has two values {previous} and {cell.value}")
        self.keys = sorted(self.values, key=lambda k: (len(k), repr(k)))
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.equations = equations(self.keys, records, [line for t in tables for line in t.lines])
        self.groups = [sorted({self.index[c.key] for c in t.cells() if c.key is not None}) for t in tables]

    def system(self) -> suppression.System:
        return suppression.System(values=np.array([self.values[k] for k in self.keys]),
                                  equations=[{self.index[k]: c for k, c in eq.items()} for eq in self.equations],
                                  groups=self.groups, names=[repr(k) for k in self.keys])


def equations(keys: list[Key], records: Records, lines=()) -> list[dict[Key, int]]:
    """``lines``: the (total, parts) the tables declare; one whose cells are not all in the report (a row
    left out) is not known to the reader and is skipped."""
    present = set(keys)
    dims = sorted({d for k in keys for d, _ in k})
    domains = {d: set(records.values(d)) if d in records else set() for d in dims}
    found: dict[frozenset, dict[Key, int]] = {}

    def add(total: Key, parts: list[Key]) -> None:
        eq = {total: 1}
        for p in parts:
            eq[p] = eq.get(p, 0) - 1
        eq = {k: c for k, c in eq.items() if c}
        if eq:
            found.setdefault(frozenset(eq.items()), eq)

    # partitions: base = Σ base+{d=v} over every value v of d
    for d in dims:
        by_base: dict[Key, dict] = {}
        for k in keys:
            kd = dict(k)
            if d in kd:
                v = kd.pop(d)
                by_base.setdefault(tuple(sorted(kd.items())), {})[v] = k
        for base, parts in by_base.items():
            if base in present and domains[d] <= set(parts):
                add(base, list(parts.values()))
    # hierarchies: base+{coarse=r} = Σ base+{fine=g} over the g in r
    for fine, coarse in HIERARCHIES:
        if fine not in records or coarse not in records:
            continue
        pairs = records.pairs(fine, coarse)
        # a value in several coarse groups (an unknown municipality, '-') is part of none of them
        groups_of = collections.Counter(f for f, _ in pairs)
        mixed = {c for f, c in pairs if groups_of[f] > 1}
        members: dict = {}
        for f, c in pairs:
            if c is not None:
                members.setdefault(c, []).append(f)
        for k in keys:
            kd = dict(k)
            if coarse in kd and fine not in kd and kd[coarse] not in mixed:
                r = kd.pop(coarse)
                parts = [tuple(sorted({**kd, fine: g}.items())) for g in members.get(r, [])]
                if parts and all(p in present for p in parts):
                    add(k, parts)
    # the tables' own lines (mostly partitions found above already)
    for total, parts in lines:
        if total in present and parts and all(p in present for p in parts):
            add(total, list(parts))
    # identities
    for group in IDENTITIES:
        for k in keys:
            kd = dict(k)
            for d, v in group:
                if kd.get(d) == v:
                    rest = {dd: vv for dd, vv in kd.items() if dd != d}
                    for d2, v2 in group:
                        if d2 != d and d2 not in rest:
                            other = tuple(sorted({**rest, d2: v2}.items()))
                            if other in present:
                                add(k, [other])
    return list(found.values())


def primary(cell) -> bool:
    return cell.key is not None and 1 <= int(cell.value) < THRESHOLD


def unprotectable(family: Family, witnesses: "Witnesses | None" = None) -> list[Key]:
    """Primary cells whose range stays under 5 even with every non-zero cell of the family hidden:
    e.g. a municipality row of five cells of 1 or 2 under a region total of 7 (the total is at least
    5, since each part is at least 1, and at most 9). No secondary suppression can protect them."""
    system = family.system()
    if not system.primary.any():
        return []
    points = witnesses.over(family) if witnesses is not None else None
    ranges = suppression.intervals(system, ~system.zero, cells=system.primary, witnesses=points)
    if witnesses is not None:
        witnesses.keep(family, points)
    return [family.keys[i] for i in suppression.narrow(ranges)]


class Witnesses:
    """The attacker's points of one family while rows are withheld from it, by key: each round asks
    about the same cells less a row, so most cells were already seen 5 apart (suppression.intervals
    checks every point against the new equations before it counts)."""

    def __init__(self):
        self.index: dict[Key, int] = {}
        self.points: list[np.ndarray] = []

    def over(self, family: Family) -> list[np.ndarray]:
        at = [self.index.get(k) for k in family.keys]
        if not self.points or None in at:
            return []
        return [p[at] for p in self.points]

    def keep(self, family: Family, points: list[np.ndarray]) -> None:
        self.index, self.points = family.index, points


def withhold(report: Report, name: str, tables: list[Table]) -> list[str]:
    """Leave out rows until every primary cell of the family can be protected: each time the body row
    (not a total row) holding the most unprotectable cells, ties to the smaller row, then the later
    one. Without the row, its cells are not published and the totals it belonged to no longer add
    up for the reader, so the remaining cells can be protected. The table's note says so; a table
    left without rows is left out, and its section says so. Returns what was left out."""
    gone: list[str] = []
    start = time.perf_counter()
    witnesses = Witnesses()
    while True:
        tables = [t for t in tables if _body_rows(t)]
        family = Family(name, report.families[name], tables)
        bad = set(unprotectable(family, witnesses))
        if not bad:
            break
        candidates = []
        for ti, table in enumerate(tables):
            for ri in _body_rows(table):
                cells = table.rows[ri][1]
                hits = sum(c.key in bad for c in cells)
                if hits:
                    candidates.append((hits, -sum(int(c.value) for c in cells if c.key is not None), ti, ri))
        if not candidates:   # only total rows hold them: leave the whole table out
            table = next(t for t in tables if any(c.key in bad for c in t.cells()))
            _drop_table(report, table)
            gone.append(table.id)
            tables = [t for t in tables if t is not table]
            continue
        _, _, ti, ri = max(candidates)
        table = tables[ti]
        label = table.rows[ri][0]
        del table.rows[ri]
        table.total_rows = {i - (i > ri) for i in table.total_rows}
        table.withheld_rows.append(label)
        gone.append(f"{table.id}: {label}")
        if not _body_rows(table):
            _drop_table(report, table)
    for table in tables:
        rows = table.withheld_rows
        if rows:
            table.note = (table.note + " " if table.note else "") + (
                f"Niet getoond: {len(rows)} rij(en) ({', '.join(rows)}) met zo weinig personen dat ook met extra "
                "onderdrukte cellen terug te rekenen zou zijn hoeveel het er zijn.")
    report.disclosure["withheld_seconds"] = report.disclosure.get("withheld_seconds", 0.0) + (
        time.perf_counter() - start)
    return gone


def _body_rows(table: Table) -> list[int]:
    return [i for i in range(len(table.rows)) if i not in table.total_rows]


def _drop_table(report: Report, table: Table) -> None:
    for section in report.sections:
        if table in section.tables:
            section.tables.remove(table)
            section.intro.append(
                f"De tabel ‘{table.title}’ staat niet in deze publieksversie: er zitten zo weinig personen in "
                "dat ook met extra onderdrukte cellen terug te rekenen zou zijn hoeveel het er zijn.")


def apply(report: Report, secondary: bool = True) -> None:
    """Suppress in place (audience publiek); intern reports are left exact. ``secondary=False`` leaves
    out secondary suppression: for tests and benchmarks that show what it protects, never to publish."""
    by_family: dict[str, list[Table]] = {}
    for table in report.tables():
        if table.family:
            by_family.setdefault(table.family, []).append(table)
    report.disclosure = {"families": [], "tables": {}, "withheld": []}
    for name, tables in sorted(by_family.items()):
        if secondary:
            report.disclosure["withheld"] += withhold(report, name, tables)
            tables = [t for t in tables if any(t in s.tables for s in report.sections)]
            if not tables:
                continue
        family = Family(name, report.families[name], tables)
        system = family.system()
        start = time.perf_counter()
        outcome = suppression.protect(system, secondary=secondary)
        hidden = {k for k, i in family.index.items() if outcome.suppressed[i]}
        report.disclosure["families"].append(FamilyResult(
            name=name, cells=len(family.keys), primary=int(system.primary.sum()),
            secondary=int(outcome.suppressed.sum() - system.primary.sum()),
            persons_hidden=int(system.values[outcome.suppressed].sum()), rounds=outcome.rounds, gap=outcome.gap,
            seconds=time.perf_counter() - start))
        for table in tables:
            for cell in table.cells():
                k = cell.key if cell.key is not None else cell.follows
                if k is not None and k in hidden:
                    cell.suppressed = True
            for cell in table.cells():
                if cell.den is not None:
                    cell.share_suppressed = cell.suppressed or cell.den in hidden or cell.share is None
            keys = {c.key: int(c.value) for c in table.cells() if c.key is not None and c.suppressed}
            report.disclosure["tables"][table.id] = {
                "primary": sum(1 <= v < THRESHOLD for v in keys.values()),
                "secondary": sum(v >= THRESHOLD for v in keys.values()),
                "persons": sum(keys.values()),
            }


def round_half_up(value: float, step: int) -> int:
    """To the nearest multiple of ``step``, halves away from zero (wages are never negative)."""
    return int((Decimal(repr(value)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


def wage_rule(report: Report) -> None:
    """Wage percentiles (cells with ``wage_n``) as published: intern in whole euros (``–`` when no
    outflow has a wage); publiek only when at least WAGE_PUBLISH_MIN outflows underlie it and its count is
    shown, rounded to the nearest WAGE_PUBLISH_ROUND euros, otherwise hidden (shown as ``x``)."""
    publiek = report.audience == "publiek"
    for table in report.tables():
        for cell in table.cells():
            if cell.wage_n is None:
                continue
            if publiek and (cell.value is None or cell.wage_n < WAGE_PUBLISH_MIN or cell.suppressed):
                cell.value, cell.suppressed = 0, True
            elif cell.value is None:
                cell.value = "–"
            else:
                cell.value = round_half_up(float(cell.value), WAGE_PUBLISH_ROUND if publiek else 1)
