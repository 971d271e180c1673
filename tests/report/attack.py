"""The attacker that definitions.md ("Disclosure control") names, working only from the published files.

It reads a publiek report back (the HTML, checked against the workbook), writes down every linear
equation a reader can know between the counts of one family, and computes for every suppressed cell
its minimum and maximum over non-negative integers:

- a cell shown as ``<10`` lies in 1–9, a cell shown as ``x`` was hidden for protection so it is not
  1–9 and not 0 (zeros are shown): at least 10; a shown number is known;
- a table's row and column totals are the sums of their parts (read from the cells' keys);
- the same relation between tables: any cell whose key splits into cells for every value of a
  dimension that some table partitions by;
- municipalities add up to their RMC region (the public reference list), unless the page says
  rows were left out;
- by definition, provisional outflows are those whose month 24, sustained destination, sustained
  work, work in month 24, durable work and same employer are unknown; an outflow whose month 12 is
  unknown has unknown work in month 12 (definitions.md, "Work after outflow": null when not observed);
- the page states the persons in each table's suppressed cells: one more equation per table.

Written independently of the package's solver: its own equations, its own model and no shortcut.
Every end of every suppressed cell is solved: the LP first (HiGHS, one model per family whose
objective moves from cell to cell, so each solve starts from the last basis); an integral optimal
vertex is the integer optimum, otherwise SciPy's integer program decides.
"""

from __future__ import annotations

import csv
from pathlib import Path

import highspy
import numpy as np
import openpyxl
from scipy.optimize import Bounds, LinearConstraint, milp

from soepel_etl.reference import shipped_reference_dir
from tests.report.helpers import parse_key, parse_number, parse_tables

IDENTITIES = [(("f24", "voorlopig"), ("m24", "onbekend"), ("sd", "onbekend"), ("sw", "onbekend"),
               ("w24", "onbekend"), ("dw", "onbekend"), ("se", "onbekend")),
              (("m12", "onbekend"), ("w12", "onbekend"))]
BIG = 10_000_000


def body(table):
    return [row for row in table["rows"] if len(row) > 1 and row[1]["tag"] == "td"]


def canon(key: dict) -> tuple:
    return tuple(sorted(key.items()))


def table_lines(table) -> list[tuple[dict, list[dict]]]:
    """Additive relations inside one table: a cell whose key is another cell's key plus one dimension,
    in the same row or the same column, for every value of that dimension in the line."""
    grid = [[parse_key(c["key"]) for c in row[1:]] for row in body(table)]
    lines = []
    # with rows left out (the note says so), a column no longer adds up to its total
    directions = (grid,) if table.get("withheld") else (grid, [list(col) for col in zip(*grid)])
    for groups in directions:
        for line in groups:
            keyed = [k for k in line if k is not None]
            for total in keyed:
                for dim in {d for k in keyed for d in k if d not in total}:
                    parts = [k for k in keyed if set(k) == set(total) | {dim}
                             and all(k[d] == v for d, v in total.items())]
                    if len(parts) >= 2 and len(parts) == len(
                            [k for k in keyed if dim in k and set(k) - {dim} == set(total)]):
                        lines.append((total, parts))
    return lines


def read_report(paths: dict) -> dict:
    """The HTML's tables, after checking that the workbook shows exactly the same counts."""
    tables = parse_tables(Path(paths["html"]).read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(paths["xlsx"])
    for table_id, table in tables.items():
        if not table["family"]:
            continue
        ws = wb[table_id]
        rows = [r for r in ws.iter_rows(min_row=6, values_only=True)]
        for i, row in enumerate(body(table)):
            for j, cell in enumerate(row[1:]):
                shown = parse_number(cell["n"])
                value = rows[i][1 + j]
                if isinstance(shown, float):
                    assert value == shown, (table_id, i, j, value, shown)
                else:
                    assert value == shown, (table_id, i, j, value, shown)
    return tables


def municipality_regions() -> dict[str, str]:
    with open(shipped_reference_dir() / "gemeenten.csv", encoding="utf-8") as f:
        return {r["gemeente_code"]: r["rmc_regio_code"] for r in csv.DictReader(f, delimiter=";")}


def family_system(tables: list[dict]):
    """Known values, the suppressed unknowns with their bounds, and the equations, for one family."""
    shown: dict[tuple, object] = {}
    for table in tables:
        for row in body(table):
            for cell in row[1:]:
                if cell["key"] is not None:
                    k = canon(parse_key(cell["key"]))
                    v = parse_number(cell["n"])
                    assert shown.setdefault(k, v) == v, ("one key, two displays", k)
    equations: list[tuple[dict, float]] = []   # {key: coef}, rhs: Σ coef·x = rhs

    def add(total: tuple, parts: list[tuple]) -> None:
        eq: dict = {total: 1}
        for p in parts:
            eq[p] = eq.get(p, 0) - 1
        equations.append(({k: c for k, c in eq.items() if c}, 0.0))

    domains: dict[str, set] = {}
    for table in tables:
        for total, parts in table_lines(table):
            add(canon(total), [canon(p) for p in parts])
            dim = next(iter(set(parts[0]) - set(total)))
            domains.setdefault(dim, set()).update(p[dim] for p in parts)
    for k in list(shown):
        kd = dict(k)
        for dim, values in domains.items():
            if dim in kd:
                continue
            parts = [canon({**kd, dim: v}) for v in values]
            if all(p in shown for p in parts):
                add(k, parts)
        for group in IDENTITIES:
            for d, v in group:
                if kd.get(d) == v:
                    rest = {dd: vv for dd, vv in kd.items() if dd != d}
                    for d2, v2 in group:
                        other = canon({**rest, d2: v2})
                        if d2 != d and d2 not in rest and other in shown:
                            add(k, [other])
    regions = municipality_regions()
    incomplete = any(t.get("withheld") and any("gemeente" in (c["key"] or "") for row in body(t) for c in row[1:])
                     for t in tables)
    for k in ([] if incomplete else list(shown)):
        kd = dict(k)
        if "region" in kd and "gemeente" not in kd:
            rest = {d: v for d, v in kd.items() if d != "region"}
            gemeenten = {dict(p)["gemeente"] for p in shown if "gemeente" in dict(p)}
            parts = [canon({**rest, "gemeente": g}) for g in gemeenten if regions.get(g) == kd["region"]]
            if parts and all(p in shown for p in parts):
                add(k, parts)
    for table in tables:
        if table.get("hidden") is not None:
            keys = {canon(parse_key(c["key"])) for row in body(table) for c in row[1:]
                    if c["key"] is not None and not isinstance(parse_number(c["n"]), float)}
            if keys:
                equations.append(({k: 1 for k in keys}, float(table["hidden"])))
    return shown, equations


# What the attacker knows of a family -> its intervals. Reports of different selections can publish
# the same family exactly (a pilot whose outflows are those of one RMC region: only the labels
# differ); the attack on the second is then the same computation, so it is done once.
_SOLVED: dict[tuple, dict[tuple, tuple[int, int]]] = {}


def ranges(tables: list[dict]) -> dict[tuple, tuple[int, int]]:
    """min and max over non-negative integers of every suppressed cell of one family."""
    shown, equations = family_system(tables)
    known = (tuple(sorted((k, repr(v)) for k, v in shown.items())),
             tuple(sorted((tuple(sorted(eq.items())), b) for eq, b in equations)))
    if known not in _SOLVED:
        _SOLVED[known] = _solve(shown, equations)
    return dict(_SOLVED[known])


def _solve(shown: dict, equations: list[tuple[dict, float]]) -> dict[tuple, tuple[int, int]]:
    unknown = sorted(k for k, v in shown.items() if not isinstance(v, float))
    if not unknown:
        return {}
    index = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []
    for eq, b in equations:
        coef = np.zeros(len(unknown))
        for k, c in eq.items():
            if k in index:
                coef[index[k]] += c
            else:
                b -= c * shown[k]
        if coef.any():
            rows.append(coef)
            rhs.append(b)
        else:
            assert abs(b) < 1e-9, ("a published equation does not add up", eq)
    lo = np.array([1.0 if shown[k] == "<10" else 10.0 for k in unknown])
    hi = np.array([9.0 if shown[k] == "<10" else BIG for k in unknown])
    assert all(shown[k] in ("<10", "x") for k in unknown), "a count shown as neither number, <10 nor x"
    a = np.array(rows) if rows else np.zeros((0, len(unknown)))
    lp = _LinearProgram(a, np.array(rhs, dtype=float), lo, hi)
    out = {}
    for i, k in enumerate(unknown):
        ends = []
        for sign in (1.0, -1.0):
            x = lp.minimise(i, sign)
            if np.abs(x - np.round(x)).max() > 1e-7:
                c = np.zeros(len(unknown))
                c[i] = sign
                res = milp(c, constraints=[LinearConstraint(a, rhs, rhs)] if rows else [],
                           integrality=np.ones(len(unknown)), bounds=Bounds(lo, hi))
                assert res.status == 0, res.message
                x = res.x
            ends.append(round(x[i]))
        out[k] = (ends[0], ends[1])
    return out


class _LinearProgram:
    """min sign·x[i] subject to a·x = rhs, lo <= x <= hi, for one cell after another on one model."""

    def __init__(self, a: np.ndarray, rhs: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
        lp.col_cost_ = np.zeros(a.shape[1])
        lp.col_lower_, lp.col_upper_ = lo.astype(float), hi.astype(float)
        lp.row_lower_ = lp.row_upper_ = rhs
        columns = a.T   # HiGHS takes the matrix column by column
        rows_of = [np.flatnonzero(column) for column in columns]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.cumsum([0] + [len(r) for r in rows_of]).astype(np.int32)
        lp.a_matrix_.index_ = (np.concatenate(rows_of) if rows_of else np.zeros(0)).astype(np.int32)
        lp.a_matrix_.value_ = (np.concatenate([c[r] for c, r in zip(columns, rows_of)]) if rows_of
                               else np.zeros(0)).astype(float)
        self.h.passModel(lp)
        self.cell: int | None = None

    def minimise(self, i: int, sign: float) -> np.ndarray:
        if self.cell is not None and self.cell != i:
            self.h.changeColCost(self.cell, 0.0)
        self.cell = i
        self.h.changeColCost(i, sign)
        self.h.run()
        status = self.h.getModelStatus()
        assert status == highspy.HighsModelStatus.kOptimal, (
            "the published numbers admit no solution", self.h.modelStatusToString(status))
        return np.asarray(self.h.getSolution().col_value)


def attack(paths: dict) -> dict[str, dict[tuple, tuple[int, int]]]:
    """Per family: the interval of every suppressed cell."""
    tables = read_report(paths)
    families: dict[str, list] = {}
    for table in tables.values():
        if table["family"]:
            families.setdefault(table["family"], []).append(table)
    return {family: ranges(members) for family, members in families.items()}
