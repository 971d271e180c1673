"""Disclosure control for published reports (definitions.md, "Disclosure control").

Primary suppression: every person count under 10 (zero included) is shown as ``<10``.
Secondary suppression: more cells are suppressed until no suppressed count can be worked out
exactly, neither from the totals of its own table nor from any other table of the same report.

The check is linear algebra over the records of each *family* (all tables counting the same
people). Every count cell is the sum of the records its key selects. A suppressed cell is
recoverable when its indicator vector lies in the span of the published cells' vectors. The
unknowns are the record types that occur in the data plus a seeded random sample of all possible
ones (see :func:`membership`): a subset of the true unknowns, so an attacker who knows more than
the report says; protection against that attacker implies protection against a real one. Cells are added greedily (detailed cells before totals, then the smallest) in the same line (row or
column) as a recoverable cell, until nothing is recoverable.

Shares are computed from exact counts before suppression and shown only when both their count and
their denominator are shown (a share next to a shown count would otherwise reveal its denominator).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import Key, Report, Table

THRESHOLD = 10
SUPPRESSED = "<10"
MAX_ROUNDS = 2000


class Family:
    """The count cells of one family across all tables, with their members among the records."""

    def __init__(self, name: str, records: pd.DataFrame, tables: list[Table]):
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
        self.matrix = compress(membership(self.keys, records, self.values))
        # additive lines (total = sum of parts) by key, for choosing secondary cells
        self.lines: list[list[Key]] = []
        for table in tables:
            for total, parts in table.lines:
                self.lines.append([*parts, total])


def membership(keys: list[Key], records: pd.DataFrame, values: dict | None = None,
               seed: int = 20240401) -> np.ndarray:
    """keys × atoms 0/1 matrix. Atoms: the distinct record types in the data, plus a seeded random
    sample of three times as many record types as there are keys, drawn from every combination of
    the values the keys use. The true unknowns are all combinations; a subset of them models an
    attacker who knows that the others are empty, so it errs on the safe side, and the sample keeps
    that attacker from solving for individual records when a selection is small."""
    dims = sorted({d for k in keys for d, _ in k})
    if not dims:
        return np.ones((len(keys), 1))
    real = records[dims].drop_duplicates()
    domains = {d: sorted({v for k in keys for dd, v in k if dd == d} | set(real[d].dropna()), key=repr)
               for d in dims}
    rng = np.random.default_rng(seed)
    size = 3 * len(keys) + 200
    sample = pd.DataFrame({d: np.array(domains[d], dtype=object)[rng.integers(0, len(domains[d]), size)]
                           for d in dims})
    atoms = pd.concat([real, sample], ignore_index=True)
    m = np.ones((len(keys), len(atoms)), dtype=np.float64)
    cols = {d: atoms[d].to_numpy(dtype=object) for d in dims}
    for i, k in enumerate(keys):
        row = np.ones(len(atoms), dtype=bool)
        for d, v in k:
            row &= cols[d] == v
        m[i] = row
    return m


def compress(matrix: np.ndarray, seed: int = 20240401) -> np.ndarray:
    """Project the atoms onto a few more dimensions than there are keys: a generic (random Gaussian)
    projection keeps the rank of every set of rows, so span questions keep their answers, and the
    linear algebra works on a square-ish matrix. Seeded: the same report gives the same result."""
    rows, atoms = matrix.shape
    if atoms <= rows + 16:
        return matrix
    rng = np.random.default_rng(seed)
    return matrix @ rng.standard_normal((atoms, rows + 16)) / np.sqrt(atoms)


def recoverable(matrix: np.ndarray, known: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """For each hidden row: does it lie in the row space of the known rows (exactly determined)?"""
    if not len(hidden):
        return np.zeros(0, dtype=bool)
    targets = matrix[hidden]
    norms = np.linalg.norm(targets, axis=1)
    if not len(known):
        return norms < 1e-9
    _, sv, vt = np.linalg.svd(matrix[known], full_matrices=False)
    rank = int((sv > sv.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps * 10).sum())
    basis = vt[:rank]
    residual = targets - (targets @ basis.T) @ basis
    return np.linalg.norm(residual, axis=1) <= 1e-6 * np.maximum(norms, 1e-12)


def protect(family: Family) -> set[Key]:
    """The set of keys to suppress in one family."""
    values = family.values
    suppressed = {k for k, v in values.items() if v < THRESHOLD}
    # secondary cells: detailed cells before margins before the grand total (a hidden total hides every
    # share that divides by it), then the smallest count, then a fixed order
    order = lambda k: (-len(k), values[k], repr(k))  # noqa: E731

    def structural() -> None:
        changed = True
        while changed:
            changed = False
            for line in family.lines:
                hidden = [k for k in line if k in suppressed]
                if len(hidden) == 1:
                    options = sorted((k for k in line if k not in suppressed), key=order)
                    if options:
                        suppressed.add(options[0])
                        changed = True

    for _ in range(MAX_ROUNDS):
        structural()
        hidden = np.array(sorted(family.index[k] for k in suppressed), dtype=int)
        known = np.array([i for i in range(len(family.keys)) if family.keys[i] not in suppressed], dtype=int)
        found = recoverable(family.matrix, known, hidden)
        if not found.any():
            return suppressed
        added: set = set()
        for target in (family.keys[i] for i in hidden[found]):
            lines = [line for line in family.lines if target in line]
            if any(k in added for line in lines for k in line):
                continue   # a cell added this round may already protect it: check again first
            options = sorted({k for line in lines for k in line if k not in suppressed}, key=order)
            if not options:   # in no line: hide the cheapest published cell of the family
                options = sorted((k for k in family.keys if k not in suppressed), key=order)
            if options:
                suppressed.add(options[0])
                added.add(options[0])
        if not added:
            return suppressed
    raise RuntimeError(f"disclosure control did not converge for {family.name}")


def apply(report: Report) -> None:
    """Suppress in place (audience publiek); intern reports are left exact."""
    by_family: dict[str, list[Table]] = {}
    for table in report.tables():
        if table.family:
            by_family.setdefault(table.family, []).append(table)
    for name, tables in sorted(by_family.items()):
        family = Family(name, report.families[name], tables)
        suppressed = protect(family)
        for table in tables:
            for cell in table.cells():
                key = cell.key if cell.key is not None else cell.follows
                if key is not None and key in suppressed:
                    cell.suppressed = True
            for cell in table.cells():
                if cell.den is not None:
                    cell.share_suppressed = cell.suppressed or cell.den in suppressed or cell.share is None
