"""Disclosure control for audience publiek: no person count under 10 is shown, and no suppressed
count can be recovered from the totals of its table or from the other tables of the same report."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from tests.report.helpers import parse_key, parse_number, parse_tables

AUDIENCES = ["publiek", "publiek_pilot"]


def _tables(reports, which):
    return parse_tables(reports[which]["html"].read_text(encoding="utf-8"))


def _body(table):
    return [row for row in table["rows"] if len(row) > 1 and row[1]["tag"] == "td"]


@pytest.mark.parametrize("which", AUDIENCES)
def test_no_person_count_under_10(reports, which):
    tables = _tables(reports, which)
    counts = 0
    for table in tables.values():
        if not table["family"]:
            continue
        for row in _body(table):
            for cell in row[1:]:
                value = parse_number(cell["n"])
                if value == "<10":
                    assert cell["p"] in (None, "–"), "a share is shown with a suppressed count"
                    continue
                assert isinstance(value, float) and value >= 10, (table["id"], row[0]["text"], value)
                counts += 1
    assert counts > 100
    # the workbook shows the same: no number under 10 on any person sheet
    wb = openpyxl.load_workbook(reports[which]["xlsx"])
    for table_id, table in tables.items():
        if not table["family"]:
            continue
        ws = wb[table_id]
        n_cols = len(table["rows"][0]) - 1
        for row in ws.iter_rows(min_row=6, max_col=1 + n_cols, values_only=True):
            for v in row[1:]:
                assert not (isinstance(v, (int, float)) and v < 10), (table_id, row)


@pytest.mark.parametrize("which", AUDIENCES)
def test_shares_only_next_to_shown_count_and_denominator(reports, which):
    for table in _tables(reports, which).values():
        shown = {c["key"] for row in _body(table) for c in row[1:] if c["key"] and parse_number(c["n"]) != "<10"}
        for row in _body(table):
            for cell in row[1:]:
                if cell["p"] not in (None, "–"):
                    assert cell["key"] in shown and cell["den"] in shown, (table["id"], cell)


def _lines(table):
    """Additive relations inside one table: a cell whose key is another cell's key plus one dimension,
    in the same row or the same column, for every value of that dimension in the table."""
    body = _body(table)
    grid = [[parse_key(c["key"]) for c in row[1:]] for row in body]
    lines = []
    for groups in (grid, [list(col) for col in zip(*grid)]):
        for line in groups:
            keyed = [k for k in line if k is not None]
            for total in keyed:
                for dim in {d for k in keyed for d in k if d not in total}:
                    parts = [k for k in keyed if set(k) == set(total) | {dim}
                             and all(k[d] == v for d, v in total.items())]
                    if len(parts) >= 2 and len(parts) == len([k for k in keyed if dim in k and set(k) - {dim} == set(total)]):
                        lines.append((total, parts))
    return lines


def _canon(key: dict) -> str:
    return "|".join(f"{d}={v}" for d, v in sorted(key.items())) or "*"


def _attack(tables: list[dict]) -> dict:
    """Solve the linear system of every additive line of the given tables for the suppressed cells
    (one unknown per distinct key, so a cell shown in another table is known). Returns the
    suppressed keys that are uniquely determined, with their recovered values."""
    values: dict[str, object] = {}
    for table in tables:
        for row in _body(table):
            for cell in row[1:]:
                if cell["key"] is not None:
                    v = parse_number(cell["n"])
                    k = _canon(parse_key(cell["key"]))
                    if values.get(k, "<10") == "<10":
                        values[k] = v
    unknowns = sorted(k for k, v in values.items() if v == "<10")
    if not unknowns:
        return {}
    index = {k: i for i, k in enumerate(unknowns)}
    rows, rhs = [], []
    for table in tables:
        for total, parts in _lines(table):
            coef = np.zeros(len(unknowns))
            b = 0.0
            for k, sign in [(total, -1.0)] + [(p, 1.0) for p in parts]:
                ck = _canon(k)
                if ck in index:
                    coef[index[ck]] += sign
                else:
                    b -= sign * values[ck]
            if coef.any():
                rows.append(coef)
                rhs.append(b)
    if not rows:
        return {}
    a = np.array(rows)
    solution = np.linalg.lstsq(a, np.array(rhs), rcond=None)[0]
    # x_i is determined iff e_i is in the row space of A, i.e. the null space of A is 0 at i
    _, sv, vt = np.linalg.svd(a)
    rank = int((sv > 1e-9 * max(a.shape) * sv.max(initial=0.0)).sum())
    null = vt[rank:]
    free = np.abs(null).max(axis=0) if len(null) else np.zeros(len(unknowns))
    return {k: round(solution[i], 6) for k, i in index.items() if free[i] < 1e-9}


@pytest.mark.parametrize("which", AUDIENCES)
def test_attack_each_table_from_its_totals(reports, which):
    tables = _tables(reports, which)
    suppressed = 0
    for table in tables.values():
        if not table["family"]:
            continue
        suppressed += sum(parse_number(c["n"]) == "<10" for row in _body(table) for c in row[1:])
        assert _attack([table]) == {}, table["id"]
    assert suppressed > 0, "the attack needs suppressed cells to attack"


@pytest.mark.parametrize("which", AUDIENCES)
def test_attack_across_all_tables_of_the_report(reports, which):
    tables = _tables(reports, which)
    families = {}
    for table in tables.values():
        if table["family"]:
            families.setdefault(table["family"], []).append(table)
    for family, members in families.items():
        assert _attack(members) == {}, family


def test_attack_finds_what_it_should(reports):
    """The attack is not toothless: on the intern report with small cells blanked out one by one,
    it recovers them."""
    tables = _tables(reports, "intern")
    table = tables["status6_cohort"]
    cell = _body(table)[-2][1]        # a body cell of the last cohort row
    cell["n"] = "<10"
    assert _canon(parse_key(cell["key"])) in _attack([table])


@pytest.mark.parametrize("which", AUDIENCES)
def test_same_key_same_display_everywhere(reports, which):
    shown: dict = {}
    for table in _tables(reports, which).values():
        for row in _body(table):
            for cell in row[1:]:
                if cell["key"] is None:
                    continue
                k = (table["family"], _canon(parse_key(cell["key"])))
                assert shown.setdefault(k, cell["n"]) == cell["n"], (table["id"], k)
