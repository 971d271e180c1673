"""Secondary cell suppression as an integer program, solved with HiGHS, and the attacker that checks it.

The input is a *system*: the exact counts of a family's cells, the linear equations between them that
a reader can know (``Σ coef·x = 0``, e.g. a total equals the sum of its parts), and *groups* (the
cells of one table, whose suppressed persons the page adds up: a pattern-dependent equation).

The attacker (definitions.md, "Disclosure control") knows every published count, every equation and
every group sum, that a cell shown as ``<10`` lies in 1–9 and that a cell hidden for protection is
not (so ≥ 10; zeros are shown). Its interval for a suppressed cell is the minimum and maximum of an
integer program over non-negative integers. A pattern is safe when every interval is at least
:data:`MIN_RANGE` wide (max − min ≥ 5, so at least 6 possible values).

The pattern is chosen by a master integer program minimising the persons hidden, in the spirit of
τ-ARGUS's "optimal" method (Fischetti & Salazar-González): one binary per cell, and for every
suppressed cell and every equation it is in, protection it can get *from that equation alone*
(the room its co-members can move, up and down). A single equation bounds the attacker from
outside, so these constraints are necessary; they are not sufficient (cells can be pinned by
several equations together). The attacker is then run on the candidate, and each cell it pins
adds a cut: at least one published cell next to that cell's group of linked suppressed cells must
be suppressed too (suppressing more never narrows an interval, and a cell linked to nothing of the
group cannot widen it). The loop ends when the attacker finds nothing in a pattern solved to
within :data:`MIP_GAP`, so the result is checked exactly, not by the relaxation; the candidates
before that are solved only to within :data:`SEARCH_GAP`, since they only serve to find cuts.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np

MIN_RANGE = 5
PRIMARY_MAX = 9
SECONDARY_MIN = PRIMARY_MAX + 1
MAX_ROUNDS = 500
MIP_GAP = 0.02
# While the loop is still finding cuts, a candidate pattern only has to show the attacker where the
# master is wrong, not be near-optimal: proving the last few percent was most of a report's time
# (a master solve ~1 s at 2 %, ~0.1 s at 10 %, on the test warehouse's pilots). The pattern that is
# published is always searched to within MIP_GAP (see protect).
SEARCH_GAP = 0.10
# points the attacker allows, kept between interval questions (see intervals): enough for a family's
# few hundred cells to be seen at both ends, few enough to check against every equation at once
WITNESSES_KEPT = 256
# a node limit, not a time limit, bounds each master solve: the same report must give the same bytes,
# however busy the machine; the time limit is only a backstop
MASTER_NODES = 5000
MASTER_SECONDS = 120.0
INF = highspy.kHighsInf
SENSES = (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize)


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance. Its constructor prints a banner on the C-level stdout, which would end
    up in the command's output (the report command prints only the paths it wrote)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    # HiGHS restarts a MIP after root-node reductions (presolving it again); on these small programs
    # the restart costs more than it saves: a report's masters and attackers ran 23 % faster without
    # it, with the same persons hidden within the gap (docs/performance.md, "Test suite")
    h.setOptionValue("mip_allow_restart", False)
    return h


@dataclass
class System:
    values: np.ndarray                            # exact counts, int
    equations: list[dict[int, int]]               # cell index → coefficient; Σ coef·value = 0
    groups: list[list[int]] = field(default_factory=list)   # cells whose suppressed sum is published
    names: list[str] | None = None

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.int64)
        for eq in self.equations:
            total = sum(c * int(self.values[i]) for i, c in eq.items())
            if total != 0:
                names = self.names or [str(i) for i in range(len(self.values))]
                raise AssertionError("an equation does not hold for the exact counts: "
                                     + " ".join(f"{c:+d}·{names[i]}={self.values[i]}" for i, c in eq.items()))
        self.primary = (self.values >= 1) & (self.values <= PRIMARY_MAX)
        self.zero = self.values == 0
        self.cap = int(self.values.max(initial=0)) * 2 + 100   # no count exceeds it: bounds the attacker


@dataclass
class Outcome:
    suppressed: np.ndarray        # bool per cell
    rounds: int
    seconds: float
    intervals: dict[int, tuple[float, float]]
    gap: float = 0.0              # the final master solve's relative MIP gap (HiGHS's own figure)


# -- the attacker ----------------------------------------------------------------------------------
def attacker_bounds(system: System, suppressed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = system.values.astype(float).copy()
    hi = lo.copy()
    lo[suppressed & system.primary], hi[suppressed & system.primary] = 1, PRIMARY_MAX
    sec = suppressed & ~system.primary
    lo[sec], hi[sec] = SECONDARY_MIN, system.cap
    return lo, hi


def _components(n: int, links: list[list[int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for link in links:
        for b in link[1:]:
            ra, rb = find(link[0]), find(b)
            if ra != rb:
                parent[ra] = rb
    comps: dict[int, list[int]] = {}
    for i in range(n):
        comps.setdefault(find(i), []).append(i)
    return list(comps.values())


def attacker_rows(system: System, suppressed: np.ndarray) -> list[tuple[dict[int, int], float]]:
    """The equations as the attacker sees them: unknowns are the suppressed cells, the rest moves to
    the right-hand side; plus one equation per group (the published sum of its suppressed cells)."""
    rows = []
    for eq in system.equations:
        unknown = {i: c for i, c in eq.items() if suppressed[i]}
        if unknown:
            rows.append((unknown, -float(sum(c * system.values[i] for i, c in eq.items() if not suppressed[i]))))
    for group in system.groups:
        members = sorted({i for i in group if suppressed[i]})
        if members:
            rows.append(({i: 1 for i in members}, float(system.values[members].sum())))
    return rows


class LinearAttacker:
    """The attacker's LP relaxation over all cells of the family (published cells fixed by their
    bounds), for cuts: by LP duality, freeing a published cell j can widen a cell's LP interval by at
    most |reduced cost of j| × how far j can move; the integer interval is never wider than the LP's.
    A group's equation is written over all its cells (published ones are fixed), so the LP's rows do
    not depend on the pattern."""

    def __init__(self, system: System):
        self.s = system
        n = len(system.values)
        rows = [dict(eq) for eq in system.equations] + [{i: 1 for i in set(g)} for g in system.groups]
        rhs = [0.0] * len(system.equations) + [float(system.values[sorted(set(g))].sum()) for g in system.groups]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = system.values.astype(float)
        lp.col_upper_ = system.values.astype(float)
        lp.row_lower_ = np.array(rhs, dtype=float)
        lp.row_upper_ = np.array(rhs, dtype=float)
        _set_matrix(lp, rows, n)
        self.h = new_highs()
        self.h.passModel(lp)
        self.n = n

    def set_pattern(self, suppressed: np.ndarray) -> None:
        lo, hi = attacker_bounds(self.s, suppressed)
        self.h.changeColsBounds(self.n, np.arange(self.n, dtype=np.int32), lo, hi)
        self.suppressed = suppressed

    def cut_weights(self, i: int) -> tuple[float, dict[int, float]]:
        """The LP width of cell i and, per published cell, a bound on how much freeing it adds."""
        ends, weights = [], {}
        zeros = np.zeros(self.n)
        for sense in SENSES:
            self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), zeros)
            self.h.changeColCost(i, 1.0)
            self.h.changeObjectiveSense(sense)
            self.h.run()
            ends.append(self.h.getInfo().objective_function_value)
            dual = np.asarray(self.h.getSolution().col_dual)
            for j in np.flatnonzero(np.abs(dual) > 1e-9):
                if self.suppressed[j] or self.s.zero[j]:
                    continue
                room = max(_room(self.s, int(j), True), _room(self.s, int(j), False))
                weights[int(j)] = weights.get(int(j), 0.0) + abs(dual[j]) * room
        return ends[1] - ends[0], weights


def intervals(system: System, suppressed: np.ndarray, cache: dict | None = None,
              cells: np.ndarray | None = None, witnessed: bool = True,
              witnesses: list[np.ndarray] | None = None) -> dict[int, tuple[float, float]]:
    """Integer min and max of every suppressed cell over non-negative integers, per linked component
    (cells joined by an equation; the others are independent of it). The LP is solved first: when its
    optimal vertex is integral, the integer optimum equals it (the LP bounds the integer program from
    outside and an integral point attains the bound); only otherwise is the integer program solved.
    ``cache``: a component's intervals depend only on its cells, so later rounds reuse them.
    ``witnessed``: a cell already seen to take values 5 apart gets that (inner) range instead of its
    exact ends, and a cell whose fractional LP ends are under 5 apart gets those ends rounded inward
    (outer bounds), which is all the rule needs (``narrow`` is exact either way); ``False`` gives the
    exact ends of every cell.
    ``witnesses`` (with ``witnessed``): points over all cells of the family from earlier questions (an
    earlier pattern, or an earlier family with the same cells); each one that this question's equations
    and bounds allow counts as seen, and every point this call finds is added (at most
    :data:`WITNESSES_KEPT`, the latest)."""
    suppressed = np.asarray(suppressed, dtype=bool)
    cache = {} if cache is None else cache
    lo, hi = attacker_bounds(system, suppressed)
    rows = attacker_rows(system, suppressed)
    hidden = np.flatnonzero(suppressed)
    local = {c: k for k, c in enumerate(hidden)}
    comps = _components(len(hidden), [[local[i] for i in r] for r, _ in rows])
    comp_of = {m: ci for ci, comp in enumerate(comps) for m in comp}
    row_of: dict[int, list[int]] = {}
    for r, (coef, _) in enumerate(rows):
        row_of.setdefault(comp_of[local[next(iter(coef))]], []).append(r)
    wanted = None if cells is None else set(map(int, np.flatnonzero(cells)))
    # a point found for one component differs from the true counts only there: no use to the others
    earlier = np.array(witnesses) if witnesses else np.zeros((0, len(system.values)))
    out = {}
    for ci, comp in enumerate(comps):
        members = [int(hidden[k]) for k in comp]
        todo = members if wanted is None else [i for i in members if i in wanted]
        if not todo:
            continue
        key = (frozenset(members), None if wanted is None else frozenset(todo))
        if key not in cache:
            comp_rows = [rows[r] for r in row_of.get(ci, [])]
            seeds, found = [], None
            if witnessed and witnesses is not None:
                seeds = _allowed(earlier[:, members], comp_rows, members, lo, hi) if len(earlier) else []
                found = []
            cache[key] = solve_ranges(members, comp_rows, lo, hi, todo,
                                      true=system.values if witnessed else None, seeds=seeds, found=found)
            if found:
                for point in found:
                    full = system.values.astype(float)
                    full[members] = point
                    witnesses.append(full)
                del witnesses[:-WITNESSES_KEPT]
        out.update(cache[key])
    return out


def _allowed(points: np.ndarray, rows: list[tuple[dict[int, int], float]], members: list[int], lo, hi) -> list:
    """The rows of ``points`` (one per point, a column per member) that satisfy every equation and bound."""
    if not len(points):
        return []
    col = {i: k for k, i in enumerate(members)}
    ok = np.all((points >= lo[members]) & (points <= hi[members]), axis=1)
    if rows:
        # each row's sum as a sum over its entries (not a matrix product: BLAS would start threads
        # that keep spinning after it, a few seconds of CPU per report)
        cols = np.array([col[i] for coef, _ in rows for i in coef])
        coefs = np.array([c for coef, _ in rows for c in coef.values()], dtype=float)
        starts = np.cumsum([0] + [len(coef) for coef, _ in rows[:-1]])
        sums = np.add.reduceat(points[:, cols] * coefs, starts, axis=1)
        ok &= np.all(np.abs(sums - np.array([rhs for _, rhs in rows])) < 1e-6, axis=1)
    return list(points[ok])


def solve_ranges(members: list[int], rows: list[tuple[dict[int, int], float]], lo, hi,
                 todo: list[int] | None = None, true=None, seeds=(), found: list | None = None,
                 ) -> dict[int, tuple[float, float]]:
    """Integer min and max of each member (or of ``todo``) subject to the rows (equalities) and bounds;
    with ``true`` (the exact counts), a cell whose seen values already span 5 gets that sub-range.
    ``seeds``: more integral points the rows allow (one value per member), seen from the start;
    ``found`` collects the points this call solves for."""
    todo = members if todo is None else todo
    if not rows:
        return {i: (lo[i], hi[i]) for i in todo}
    h = new_highs()
    h.setOptionValue("mip_rel_gap", 0.0)
    col = {i: k for k, i in enumerate(members)}
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(members), len(rows)
    lp.col_cost_ = np.zeros(len(members))
    lp.col_lower_ = np.array([lo[i] for i in members], dtype=float)
    lp.col_upper_ = np.array([hi[i] for i in members], dtype=float)
    lp.row_lower_ = np.array([b for _, b in rows], dtype=float)
    lp.row_upper_ = lp.row_lower_.copy()
    _set_matrix(lp, [{col[i]: c for i, c in r.items()} for r, _ in rows], len(members))
    h.passModel(lp)
    out = {}
    everything = np.arange(len(members), dtype=np.int32)
    integer = np.array([highspy.HighsVarType.kInteger] * len(members))
    continuous = np.array([highspy.HighsVarType.kContinuous] * len(members))
    # Integral feasible points seen so far (the true counts are one): a cell that already takes values
    # 5 apart across them is wide enough, and its exact ends are not needed to judge the pattern.
    seen = [np.array([true[i] for i in members], dtype=float), *seeds] if true is not None else []
    low = np.min(seen, axis=0) if seen else None
    high = np.max(seen, axis=0) if seen else None

    def saw(x) -> None:
        nonlocal low, high
        if found is not None:
            found.append(x)
        if seen:
            low, high = np.minimum(low, x), np.maximum(high, x)

    def solve(costs: np.ndarray, sense) -> np.ndarray:
        h.changeColsCost(len(members), everything, costs)
        h.changeObjectiveSense(sense)
        h.run()
        _check(h)
        return np.asarray(h.getSolution().col_value)

    def integral(x: np.ndarray) -> bool:
        return np.abs(x - np.round(x)).max(initial=0.0) <= 1e-7

    if seen and len(todo) > 2:
        # Two more points for the price of two solves: the wanted cells all as low, then all as high,
        # as they can go together. Most cells are then seen 5 apart and need no solve of their own
        # (a family with every cell hidden, as withholding asks, has hundreds).
        together = np.zeros(len(members))
        together[[col[i] for i in todo]] = 1.0
        for sense in SENSES:
            x = solve(together, sense)
            if integral(x):   # only an integral vertex is a witness
                saw(np.round(x))
    for i in todo:
        if seen and high[col[i]] - low[col[i]] >= MIN_RANGE:
            out[i] = (low[col[i]], high[col[i]])
            continue
        just_i = np.zeros(len(members))
        just_i[col[i]] = 1.0
        ends, fractional = [], []
        for sense in SENSES:
            x = solve(just_i, sense)
            fractional.append(not integral(x))
            if not fractional[-1]:
                saw(np.round(x))
            ends.append(h.getInfo().objective_function_value)
        if seen and any(fractional):
            decided = decided_without_integers(ends[0], ends[1], low[col[i]], high[col[i]])
            if decided is not None:
                out[i] = decided
                continue
        for k, sense in enumerate(SENSES):
            if fractional[k]:   # a fractional vertex: the integer program
                h.changeColsIntegrality(len(members), everything, integer)
                x = solve(just_i, sense)
                h.changeColsIntegrality(len(members), everything, continuous)
                saw(np.round(x))
                ends[k] = h.getInfo().objective_function_value
        out[i] = (round(ends[0]), round(ends[1]))
    return out


def decided_without_integers(lp_min: float, lp_max: float, seen_min: float, seen_max: float):
    """A cell's range as far as the rule needs it, when its LP ends are fractional, or None when only
    the integer programs can tell. The LP's ends, rounded inward, hold the integer ends from outside:
    under 5 apart, the cell is narrow whatever the integers say. Or the integral points seen so far
    span 5, and it is wide. Either way the integer programs (most of the time, when there are any)
    are not needed."""
    outer = (math.ceil(lp_min - 1e-7), math.floor(lp_max + 1e-7))
    if outer[1] - outer[0] < MIN_RANGE:
        return outer
    if seen_max - seen_min >= MIN_RANGE:
        return seen_min, seen_max
    return None


def _check(h) -> None:
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"attacker model not solved: {h.modelStatusToString(status)}")


def _set_matrix(lp, rows: list[dict[int, float]], n_cols: int) -> None:
    """Row dicts → the column-wise sparse matrix HiGHS wants."""
    by_col: list[list[tuple[int, float]]] = [[] for _ in range(n_cols)]
    for r, row in enumerate(rows):
        for c, v in row.items():
            by_col[c].append((r, v))
    start, index, value = [0], [], []
    for entries in by_col:
        for r, v in entries:
            index.append(r)
            value.append(v)
        start.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)


def narrow(ranges: dict[int, tuple[float, float]]) -> list[int]:
    return sorted(i for i, (a, b) in ranges.items() if b - a < MIN_RANGE)


# -- the master integer program --------------------------------------------------------------------
def _room(system: System, j: int, up: bool) -> int:
    """How far cell j could move, if suppressed, before the attacker's bounds stop it (capped)."""
    v = int(system.values[j])
    if system.primary[j]:
        r = PRIMARY_MAX - v if up else v - 1
    else:
        r = MIN_RANGE if up else v - SECONDARY_MIN
    return max(0, min(r, MIN_RANGE))


class Master:
    def __init__(self, system: System):
        self.s = system
        n = len(system.values)
        self.free = [i for i in range(n) if not system.primary[i] and not system.zero[i]]
        self.y = {i: k for k, i in enumerate(self.free)}
        h = new_highs()
        # candidates within SEARCH_GAP of the fewest persons hidden; protect() tightens to MIP_GAP
        # before the pattern it returns
        h.setOptionValue("mip_rel_gap", SEARCH_GAP)
        h.setOptionValue("mip_max_nodes", MASTER_NODES)
        h.setOptionValue("time_limit", MASTER_SECONDS)
        self.h = h
        # y: suppress cell (free cells only); cost = persons hidden
        h.addVars(len(self.free), np.zeros(len(self.free)), np.ones(len(self.free)))
        h.changeColsCost(len(self.free), np.arange(len(self.free), dtype=np.int32),
                         system.values[self.free].astype(float))
        h.changeColsIntegrality(len(self.free), np.arange(len(self.free), dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger] * len(self.free)))
        self.n_cols = len(self.free)
        # protection rows for the primary cells only: a secondary cell is rarely short of room (it can
        # grow without bound unless a total holds it), and the attacker's cuts catch the cases that are
        for eq in system.equations:
            for i, ci in eq.items():
                if system.primary[i]:
                    self._protect_in_equation(i, ci, eq)
                elif i in self.y:
                    # a hidden cell alone in an equation is known exactly: another member hides too
                    others = {self.y[j]: 1.0 for j in eq if j != i and j in self.y}
                    if any(system.primary[j] for j in eq if j != i):
                        continue
                    others[self.y[i]] = -1.0
                    self._row(0.0, INF, others)

    def _add_col(self, upper: float) -> int:
        self.h.addVar(0.0, float(upper))
        self.n_cols += 1
        return self.n_cols - 1

    def _row(self, lower: float, upper: float, coefs: dict[int, float]) -> None:
        idx = np.array(list(coefs), dtype=np.int32)
        self.h.addRow(float(lower), float(upper), len(idx), idx, np.array(list(coefs.values()), dtype=float))

    def _protect_in_equation(self, i: int, ci: int, eq: dict[int, int]) -> None:
        s = self.s
        own_up, own_down = _room(s, i, True), _room(s, i, False)
        if s.primary[i]:
            own_up, own_down = PRIMARY_MAX - int(s.values[i]), int(s.values[i]) - 1
        u, d = self._add_col(min(own_up, MIN_RANGE)), self._add_col(min(own_down, MIN_RANGE))
        for col, direction in ((u, True), (d, False)):
            # raising i is absorbed by co-members on the same side falling, or the other side rising
            coefs, const = {col: 1.0}, 0.0
            for j, cj in eq.items():
                if j == i or s.zero[j]:
                    continue
                r = _room(s, j, up=(cj != ci) == direction)
                if not r:
                    continue
                if s.primary[j]:
                    const += r
                else:
                    coefs[self.y[j]] = coefs.get(self.y[j], 0.0) - r
            self._row(-INF, const, coefs)
        if s.primary[i]:
            self._row(MIN_RANGE, INF, {u: 1.0, d: 1.0})
        else:
            self._row(0.0, INF, {u: 1.0, d: 1.0, self.y[i]: -float(MIN_RANGE)})

    def weighted_cut(self, cell: int, weights: dict[int, float], need: float) -> bool:
        """Σ weight·y ≥ need (when ``cell`` is suppressed): the LP interval must grow by ``need``."""
        coefs = {self.y[j]: min(w, need) for j, w in weights.items() if j in self.y}
        if not coefs:
            return False
        if self.s.primary[cell]:
            self._row(need, INF, coefs)
        else:
            coefs[self.y[cell]] = coefs.get(self.y[cell], 0.0) - need
            self._row(0.0, INF, coefs)
        return True

    def cut(self, cell: int, neighbours: set[int]) -> bool:
        """At least one of the neighbours is suppressed when ``cell`` is. False: no neighbour left."""
        free = [j for j in neighbours if j in self.y]
        if self.s.primary[cell]:
            if not free:
                return False
            self._row(1.0, INF, {self.y[j]: 1.0 for j in free})
        else:
            coefs = {self.y[j]: 1.0 for j in free}
            coefs[self.y[cell]] = coefs.get(self.y[cell], 0.0) - 1.0
            self._row(0.0, INF, coefs)
        return True

    def tighten(self) -> None:
        """From now on, solve to within MIP_GAP (the cuts found so far stay)."""
        self.h.setOptionValue("mip_rel_gap", MIP_GAP)

    def gap(self) -> float:
        return float(self.h.getInfo().mip_gap)

    def solve(self) -> np.ndarray:
        self.h.run()
        status = self.h.getModelStatus()
        found = self.h.getInfo().primal_solution_status == 2   # a feasible point, e.g. at the time limit
        if status != highspy.HighsModelStatus.kOptimal and not (status in (
                highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kSolutionLimit,
                highspy.HighsModelStatus.kIterationLimit) and found):
            raise RuntimeError(f"secondary suppression: no pattern found ({self.h.modelStatusToString(status)})")
        x = np.asarray(self.h.getSolution().col_value[:len(self.free)])
        out = self.s.primary.copy()
        out[np.array(self.free, dtype=int)[x > 0.5] if self.free else []] = True
        return out


def neighbours(system: System, suppressed: np.ndarray, component: set[int]) -> set[int]:
    """Published cells that share an equation or a group with a cell of the component."""
    out: set[int] = set()
    for eq in system.equations:
        if component & eq.keys():
            out |= {j for j in eq if not suppressed[j]}
    for group in system.groups:
        if component & set(group):
            out |= {j for j in group if not suppressed[j]}
    return {j for j in out if not system.zero[j]}


def protect(system: System, secondary: bool = True) -> Outcome:
    """The suppression pattern: primary cells, plus (when ``secondary``) the cheapest safe extra cells."""
    start = time.perf_counter()
    if not secondary or not system.primary.any():
        pattern = system.primary.copy()
        return Outcome(pattern, 0, time.perf_counter() - start, {})
    master = Master(system)
    relaxed = LinearAttacker(system)
    seen: dict = {}
    witnesses: list[np.ndarray] = []   # the rounds' patterns differ, the cells and equations do not
    tight = False
    for rounds in range(1, MAX_ROUNDS + 1):
        pattern = master.solve()
        ranges = intervals(system, pattern, seen, witnesses=witnesses)
        bad = narrow(ranges)
        if not bad:
            if tight:
                return Outcome(pattern, rounds, time.perf_counter() - start, ranges, master.gap())
            # safe, but searched only to within SEARCH_GAP: search again to within MIP_GAP with every
            # cut found so far, and check that pattern (it may need cuts of its own)
            master.tighten()
            tight = True
            continue
        relaxed.set_pattern(pattern)
        pending = []
        for cell in bad:
            width, weights = relaxed.cut_weights(cell)
            if width < MIN_RANGE - 1e-6 and master.weighted_cut(cell, weights, MIN_RANGE - width):
                continue
            pending.append(cell)   # the LP is wide enough but the integers are not: a combinatorial cut
        if not pending:
            continue
        rows = attacker_rows(system, pattern)
        cells = list(np.flatnonzero(pattern))
        local = {c: k for k, c in enumerate(cells)}
        comps = _components(len(cells), [[local[i] for i in r] for r, _ in rows])
        comp_of = {cells[k]: {cells[m] for m in comp} for comp in comps for k in comp}
        for cell in pending:
            if not master.cut(cell, neighbours(system, pattern, comp_of[cell])):
                raise RuntimeError("secondary suppression: a suppressed cell cannot be protected")
    raise RuntimeError(f"secondary suppression did not converge in {MAX_ROUNDS} rounds")
