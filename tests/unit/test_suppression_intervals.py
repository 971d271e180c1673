"""The attacker's intervals (report/suppression.py) take shortcuts to decide the rule "every suppressed
cell keeps a range of at least 5": points seen earlier (witnesses, carried between questions) and
the LP's own ends. Whatever the shortcuts, the cells found narrow must be exactly those the full
integer programs find narrow."""

from __future__ import annotations

import itertools
import random

import numpy as np

from soepel_etl.report.suppression import System, decided_without_integers, intervals, narrow


def _cube(rng: random.Random, sizes: tuple[int, ...]) -> System:
    """Counts by two or three dimensions with every marginal (a key with None is the total over that
    dimension), as a family's crosstabs are; three dimensions give LPs with fractional vertices."""
    body = {key: rng.choice([0, 1, 2, 3, 4, 6, 9, 12, 15, 25, 40]) for key in itertools.product(*map(range, sizes))}
    keys = sorted({tuple(v if keep else None for v, keep in zip(key, mask))
                   for key in body for mask in itertools.product((True, False), repeat=len(sizes))},
                  key=lambda k: tuple(-1 if v is None else v for v in k))
    index = {k: i for i, k in enumerate(keys)}
    values = [sum(n for key, n in body.items() if all(v is None or v == x for v, x in zip(k, key))) for k in keys]
    eqs = []
    for k in keys:
        for d, v in enumerate(k):
            if v is None:
                eqs.append({index[k]: -1, **{index[k[:d] + (x,) + k[d + 1:]]: 1 for x in range(sizes[d])}})
    return System(values=np.array(values), equations=eqs, groups=[list(range(len(values)))])


def _patterns(rng: random.Random, system: System, n: int) -> list[np.ndarray]:
    """Primary cells plus a random handful of others, growing and shrinking from one to the next."""
    out = []
    for _ in range(n):
        extra = np.array([rng.random() < 0.6 for _ in system.values]) & ~system.zero
        out.append(system.primary | extra)
    return out


def test_shortcuts_find_exactly_the_cells_the_integer_programs_find_narrow():
    rng = random.Random(20261201)
    checked = narrow_seen = 0
    for _ in range(25):
        system = _cube(rng, rng.choice([(2, 2, 3), (2, 3, 3), (3, 3, 3), (2, 3, 4)]))
        witnesses: list[np.ndarray] = []   # carried across patterns, as protect() does between rounds
        for pattern in _patterns(rng, system, 4):
            exact = intervals(system, pattern, witnessed=False)
            fast = intervals(system, pattern, witnesses=witnesses)
            assert narrow(fast) == narrow(exact), (system.values.tolist(), pattern.tolist())
            checked += len(exact)
            narrow_seen += len(narrow(exact))
    assert checked > 500 and narrow_seen > 20, (checked, narrow_seen)   # both answers occur


def test_a_point_from_another_pattern_counts_only_where_the_new_equations_allow_it():
    # x0 + x1 = x2 with x0 = 3 (shown as <10) and x1 = 11 (hidden for protection)
    system = System(values=np.array([3, 11, 14]), equations=[{0: 1, 1: 1, 2: -1}])
    witnesses: list[np.ndarray] = []
    # with the total hidden too, x0 can be anything from 1 to 9: seen far apart
    wide = intervals(system, np.array([True, True, True]), witnesses=witnesses)
    assert narrow(wide) == [] and witnesses
    assert any(p[0] >= 8 for p in witnesses) and any(p[0] <= 2 for p in witnesses)
    # with the total shown (14) and x1 >= 10, x0 is 1-4: those points break the new equation
    pinned = intervals(system, np.array([True, True, False]), witnesses=witnesses)
    assert narrow(pinned) == [0, 1]
    assert pinned[0] == (1, 4)


def test_the_lp_ends_decide_only_what_they_bound():
    # LP 0.5 … 5.5: the integers lie in 1 … 5, 4 apart: narrow, whatever they are
    assert decided_without_integers(0.5, 5.5, 2, 3) == (1, 5)
    # LP 0.5 … 6.5: the integers may reach 1 … 6, 5 apart: not decided by the LP
    assert decided_without_integers(0.5, 6.5, 2, 3) is None
    # … unless integral points 5 apart were seen
    assert decided_without_integers(0.5, 6.5, 1, 6) == (1, 6)
    # an end that is integral up to the solver's rounding noise counts as that integer
    assert decided_without_integers(1.0000000001, 5.9999999999, 2, 3) is None      # 1 … 6
    assert decided_without_integers(0.9999999999, 5.0000000001, 2, 3) == (1, 5)
