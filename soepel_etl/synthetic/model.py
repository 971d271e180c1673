"""The generator's truth: persons, enrolments, jobs, benefit spells, pilot participation.

Everything is drawn column-wise with numpy (no loop over persons).  Dates are ``int32`` days since
1970-01-01 with ``NA`` for missing; months are ``int32`` months since 1970-01.  The records here are
the *final, correct* versions; ``deliveries.py`` decides which version of which record appears in
which delivery (late arrivals, restatements, corrections, withdrawn enrolments).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import ids
from .reference import Reference

NA = np.int32(-(2**31))

# --- the calendar ----------------------------------------------------------------------------
COHORT_YEARS = (2018, 2019, 2020, 2021)
FIRST_ENROLMENT = "2016-01-04"
FIRST_DELIVERY = "2022-03-01"   # the data system starts; the first delivery of every sender backfills
LAST_DELIVERY = "2024-03-31"
TRUTH_CUTOFF = "2024-02-01"     # every sender's last delivery knows everything up to this day

# programmes of the outflow ("focus") enrolment
ENTREE, BOL2, BBL2, BOL34, BBL34 = range(5)
PROG_P = np.array([0.30, 0.36, 0.17, 0.10, 0.07])
PROG_NAMES = np.array(["entree", "bol2", "bbl2", "bol34", "bbl34"])

# destination half a year after outflow
D_WORK, D_BOL, D_BBL, D_BEN, D_NEET = range(5)
DEST_NAMES = np.array(["werk", "onderwijs", "werkend_lerend", "uitkering", "geen"])
#                 work   BOL   BBL   benefit NEET     (shape of the pilot evaluation)
DEST_P = np.array([
    [0.30, 0.45, 0.18, 0.02, 0.05],   # entree: ~63% into mbo-2 education
    [0.64, 0.24, 0.08, 0.01, 0.03],   # BOL-2: ~62% work, ~32% study
    [0.93, 0.00, 0.05, 0.00, 0.02],   # BBL-2: 11 of 12 work
    [0.65, 0.12, 0.13, 0.04, 0.06],   # level 3/4 BOL
    [0.80, 0.04, 0.10, 0.02, 0.04],   # level 3/4 BBL
])

# enrolment roles
R_PRIOR, R_FOCUS, R_FOLLOW, R_SPURIOUS = range(4)
# job roles
J_SIDE, J_BBL, J_MAIN, J_NEXT, J_EXTRA = range(5)
CONTRACTS = np.array(["onbepaald", "bepaald", "oproep", "uitzend"])
BENEFITS = np.array(["PW", "WW", "WAJONG", "ZW", "WIA", "IOAW", "OVERIG"])
REDENEN_DIPLOMA = np.array(["Diploma behaald", "Opleiding afgerond met diploma"])
REDENEN_ZONDER = np.array([
    "Voortijdig schoolverlaten", "Werk gevonden", "Overstap naar andere opleiding",
    "Privé-omstandigheden", "Financiële problemen", "Verhuisd", "Gezondheid",
    "Niet geïnteresseerd in opleiding", "Onbekend",
])
DEELNAME = np.array(["in_beeld", "geinformeerd", "ondersteund"])
INTERVENTIES = np.array([
    "signalering", "rmc_op_school", "loopbaangesprek", "casusoverleg",
    "doorwerkcoach", "leerwerkcoach", "jobfinder", "jobcoach",
    "taalcursus", "training_werknemersvaardigheden", "certificaat",
])
INTERVENTIE_P = np.array([10, 8, 12, 8, 14, 8, 12, 10, 5, 9, 4], dtype=float)


def day(s: str) -> int:
    return int(np.datetime64(s, "D").astype(np.int64))


def month_of(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days)
    out = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64).astype(np.int32)
    return np.where(d == NA, NA, out).astype(np.int32)


def month_start(months: np.ndarray) -> np.ndarray:
    return np.asarray(months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64).astype(np.int32)


def month_end(months: np.ndarray) -> np.ndarray:
    return month_start(np.asarray(months) + 1) - 1


@dataclass
class Truth:
    n: int
    # persons
    bsn: np.ndarray            # int64, -1 when the person has none
    onr: np.ndarray            # int64 onderwijsnummer, -1 when not used
    birth: np.ndarray
    sex: np.ndarray            # str
    inst: np.ndarray           # focus institution
    prog: np.ndarray
    u_date: np.ndarray         # focus outflow date
    dest6: np.ndarray
    sender: np.ndarray         # municipality index delivering werk/uitkeringen
    # enrolments (arrays of equal length)
    enr: dict = field(default_factory=dict)
    # jobs (spells; rows are expanded per sender when writing)
    job: dict = field(default_factory=dict)
    # benefit spells
    ben: dict = field(default_factory=dict)
    # pilot register
    part: dict = field(default_factory=dict)
    # interventions
    itv: dict = field(default_factory=dict)


def _pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix."""
    c = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(len(probs))[:, None] > c).sum(axis=1).clip(0, probs.shape[1] - 1)


def build_truth(ref: Reference, persons: int, seed: int) -> Truth:
    ss = np.random.SeedSequence([seed, 1])
    rp, re_, rj, rb, rpart = (np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(5))
    n = int(persons)
    first_enrol, last = day(FIRST_ENROLMENT), day(TRUTH_CUTOFF)

    # ---- persons ---------------------------------------------------------------------------
    n_onr = int(round(n * 0.03))
    has_onr = np.zeros(n, dtype=bool)
    has_onr[rp.permutation(n)[:n_onr]] = True
    bsn = np.full(n, -1, dtype=np.int64)
    bsn[~has_onr] = ids.bsn_numbers(rp, int((~has_onr).sum()))
    onr = np.full(n, -1, dtype=np.int64)
    onr[has_onr] = ids.onderwijsnummers(rp, n_onr)
    sex = np.array(["M", "V", "X"])[_pick(rp, n, [0.53, 0.465, 0.005])]

    pilot_inst = ref.inst_pilot != ""
    w_inst = np.where(pilot_inst, 3.0, 2.0)
    # the first (main) BRIN of each pilot carries more students than its sister BRINs
    seen = set()
    for i, p in enumerate(ref.inst_pilot):
        if p and p not in seen:
            w_inst[i] *= 2.0
            seen.add(p)
    inst = _pick(rp, n, w_inst)
    prog = _pick(rp, n, PROG_P)
    year = np.array(COHORT_YEARS)[rp.integers(0, len(COHORT_YEARS), n)]
    summer = rp.random(n) < 0.55
    u_month_in_year = np.where(summer, rp.choice([5, 6, 7], n, p=[0.2, 0.6, 0.2]), rp.integers(0, 12, n))
    u_m = (year - 1970) * 12 + u_month_in_year
    u_date = (month_start(u_m) + rp.integers(0, 28, n)).astype(np.int32)
    age_lo = np.array([16.0, 17.0, 17.0, 18.0, 18.0])[prog]
    birth = (u_date - ((age_lo + rp.random(n) * 3.0) * 365.25)).astype(np.int32)

    # home municipality: in the institution's region, weighted by size
    region = ref.inst_region[inst]
    home = _home_in_region(rp, ref, region)
    sender = ref.region_sender[ref.gm_region[home]]
    postcode_a = _postcode(rp, ref, home)

    # destination six months after outflow
    dest = _pick_rows(rp, DEST_P[prog])
    # level-3/4 BOL continuing education, entree into BOL: fine; BBL2 cannot go to BOL in our table
    t = Truth(n=n, bsn=bsn, onr=onr, birth=birth, sex=sex, inst=inst, prog=prog, u_date=u_date,
              dest6=dest, sender=sender)

    # ---- enrolments ------------------------------------------------------------------------
    niveau_focus = np.array([1, 2, 2, 3, 3])[prog] + ((prog >= BOL34) & (re_.random(n) < 0.4))
    bbl_focus = np.isin(prog, [BBL2, BBL34])
    dur_mean = np.array([300, 600, 660, 900, 900])[prog]
    dur = (dur_mean * (0.55 + 0.9 * re_.random(n))).astype(np.int32)
    f_start = np.maximum(u_date - dur, first_enrol + re_.integers(0, 20, n)).astype(np.int32)
    # most enrolments start around 1 August / 1 September
    snap = re_.random(n) < 0.6
    y_start = f_start.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    aug = (np.array([np.datetime64(f"{y}-08-01") for y in range(2015, 2023)]).astype(np.int64)
           [np.clip(y_start - 2015, 0, 7)] + re_.integers(0, 35, n)).astype(np.int32)
    f_start = np.where(snap & (aug < u_date - 60) & (aug >= first_enrol), aug, f_start).astype(np.int32)
    f_dipl = re_.random(n) < np.array([0.62, 0.55, 0.66, 0.6, 0.64])[prog]
    # dropouts become NEET/benefit a bit more often: move some work destinations to NEET
    flip = (~f_dipl) & (dest == D_WORK) & (re_.random(n) < 0.06)
    dest[flip] = D_NEET

    # prior entree enrolment for some mbo-2 students
    has_prior = np.isin(prog, [BOL2, BBL2]) & (re_.random(n) < 0.22)
    p_end = f_start - re_.integers(1, 60, n)
    p_start = p_end - re_.integers(200, 330, n)
    has_prior &= p_start >= first_enrol
    # follow-up enrolment for education destinations
    has_follow = np.isin(dest, [D_BOL, D_BBL])
    s_month = month_of(u_date) + re_.integers(1, 6, n)          # destination starts u+1 .. u+5
    fo_start = (month_start(s_month) + re_.integers(0, 25, n)).astype(np.int32)
    fo_dur = (re_.integers(240, 900, n)).astype(np.int32)
    fo_end = fo_start + fo_dur
    fo_level = np.minimum(niveau_focus + (prog != BOL34) * 1, 4)
    fo_level = np.where(prog == ENTREE, 2, fo_level)
    fo_dipl = re_.random(n) < 0.58
    fo_same_inst = re_.random(n) < 0.85
    fo_inst = np.where(fo_same_inst, inst, _same_pilot_other_inst(re_, ref, inst))
    # movers: the follow-up enrolment has another woongemeente
    moves = re_.random(n) < 0.12
    new_home = _home_in_region(re_, ref, np.where(re_.random(n) < 0.7, region, ref.inst_region[fo_inst]))
    fo_home = np.where(moves, new_home, home)
    fo_pc = np.where(moves, _postcode(re_, ref, fo_home), postcode_a)
    # spurious enrolments (registered in error, later withdrawn with mutatie V)
    spurious = re_.random(n) < 0.006
    sp_start = (u_date - re_.integers(30, 400, n)).astype(np.int32)

    parts = []
    def add(mask, role, inst_, start, end, niveau, bbl, dipl, home_, pc_):
        idx = np.flatnonzero(mask)
        parts.append(dict(pid=idx.astype(np.int32), role=np.full(idx.size, role, np.int8),
                          inst=inst_[idx], start=start[idx].astype(np.int32),
                          end=end[idx].astype(np.int32), niveau=niveau[idx].astype(np.int8),
                          bbl=bbl[idx], dipl=dipl[idx], home=home_[idx], pc=pc_[idx]))
    add(has_prior, R_PRIOR, inst, p_start, p_end, np.ones(n, np.int8), np.zeros(n, bool),
        re_.random(n) < 0.75, home, postcode_a)
    add(np.ones(n, bool), R_FOCUS, inst, f_start, u_date, niveau_focus, bbl_focus, f_dipl, home, postcode_a)
    add(has_follow, R_FOLLOW, fo_inst, fo_start, fo_end, fo_level, dest == D_BBL, fo_dipl, fo_home, fo_pc)
    add(spurious, R_SPURIOUS, inst, sp_start, sp_start + 200, niveau_focus, bbl_focus,
        np.zeros(n, bool), home, postcode_a)
    enr = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    m = len(enr["pid"])
    # open-ended at the end of the window: no end date known yet
    enr["end"] = np.where(enr["end"] > last, NA, enr["end"]).astype(np.int32)
    enr["dipl"] &= enr["end"] != NA
    enr["ddipl"] = np.where(enr["dipl"], enr["end"] - re_.integers(0, 15, m), NA).astype(np.int32)
    enr["ddipl"] = np.where(enr["dipl"], np.maximum(enr["ddipl"], enr["start"]), NA).astype(np.int32)
    reden = np.where(enr["dipl"], REDENEN_DIPLOMA[re_.integers(0, len(REDENEN_DIPLOMA), m)],
                     REDENEN_ZONDER[re_.integers(0, len(REDENEN_ZONDER), m)])
    enr["reden"] = np.where(enr["end"] == NA, "", reden)
    enr["crebo"] = _crebo_for_level(re_, ref, enr["niveau"])
    enr["id"] = (re_.integers(1, 9, m) * 10**7 + np.arange(m)).astype(np.int64)  # unique per brin
    t.enr = enr

    # ---- jobs ----------------------------------------------------------------------------------
    t.job = _jobs(rj, t, f_start, bbl_focus, s_month, fo_start, fo_end, has_follow, dest, last)
    # ---- benefits --------------------------------------------------------------------------
    t.ben = _benefits(rb, t, s_month, dest, last)
    # persons without a BSN have no SUWI/benefit records
    keep = t.bsn[t.job["pid"]] >= 0
    t.job = {k: v[keep] for k, v in t.job.items()}
    keep = t.bsn[t.ben["pid"]] >= 0
    t.ben = {k: v[keep] for k, v in t.ben.items()}
    # ---- pilot participation -------------------------------------------------------------------
    t.part, t.itv = _participation(rpart, ref, t, last)
    return t


def _home_in_region(rng, ref: Reference, region: np.ndarray) -> np.ndarray:
    out = np.zeros(len(region), dtype=np.int64)
    for r in range(len(ref.regions)):
        sel = np.flatnonzero(region == r)
        if sel.size == 0:
            continue
        members = np.flatnonzero(ref.gm_region == r)
        out[sel] = members[_pick(rng, sel.size, ref.gm_weight[members])]
    return out


_LETTERS = np.array(list("ABCEGHJKLMNPRTVWXZ"))


def _postcode(rng, ref: Reference, gm: np.ndarray) -> np.ndarray:
    """A pc4 of the municipality, plus two letters; as int pc4*10000 + letter codes."""
    order = np.argsort(ref.pc4_gm, kind="stable")
    counts = np.bincount(ref.pc4_gm, minlength=len(ref.gm_code))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = np.where(counts[gm] > 0, (rng.random(len(gm)) * np.maximum(counts[gm], 1)).astype(np.int64), 0)
    pc4 = np.where(counts[gm] > 0, ref.pc4[order][np.minimum(starts[gm] + k, len(order) - 1)],
                   9000 + gm % 900)
    letters = rng.integers(0, len(_LETTERS), (len(gm), 2))
    return pc4 * 10000 + letters[:, 0] * 100 + letters[:, 1]


def postcode_strings(code: np.ndarray, spaced: np.ndarray) -> np.ndarray:
    pc4 = (code // 10000).astype(str)
    l1 = _LETTERS[(code // 100) % 100]
    l2 = _LETTERS[code % 100]
    sep = np.where(spaced, " ", "")
    return np.char.add(np.char.add(np.char.add(pc4, sep), l1), l2)


def _crebo_for_level(rng, ref: Reference, level: np.ndarray) -> np.ndarray:
    out = np.zeros(len(level), dtype=np.int64)
    for lv in (1, 2, 3, 4):
        sel = np.flatnonzero(level == lv)
        opts = np.flatnonzero(ref.crebo_level == lv)
        if opts.size == 0:
            opts = np.arange(len(ref.crebo))
        out[sel] = opts[rng.integers(0, opts.size, sel.size)]
    return out


def _same_pilot_other_inst(rng, ref: Reference, inst: np.ndarray) -> np.ndarray:
    out = inst.copy()
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(ref.inst_pilot):
        groups.setdefault(p or f"-{ref.inst_region[i]}", []).append(i)
    for members in groups.values():
        members_a = np.array(members)
        sel = np.flatnonzero(np.isin(inst, members_a))
        out[sel] = members_a[rng.integers(0, len(members_a), sel.size)]
    return out


def _jobs(rng, t: Truth, f_start, bbl_focus, s_month, fo_start, fo_end, has_follow, dest, last):
    n = t.n
    last_m = month_of(np.array([last]))[0]
    u_m = month_of(t.u_date)
    n_emp = max(40, n // 12)
    parts = []

    def add(mask, role, emp, m0, m1, contract, hours, wage):
        idx = np.flatnonzero(mask & (m0 <= m1) & (m0 <= last_m))
        parts.append(dict(pid=idx.astype(np.int32), role=np.full(idx.size, role, np.int8),
                          emp=emp[idx].astype(np.int32), m0=m0[idx].astype(np.int32),
                          m1=np.minimum(m1[idx], last_m).astype(np.int32),
                          contract=contract[idx].astype(np.int8),
                          hours=hours[idx].astype(np.float32), wage=wage[idx].astype(np.float32)))

    wage_base = (10.5 + rng.random(n) * 4.5).astype(np.float32)   # euro per hour
    # employers are regional: draw from a band of the pool determined by the sender
    band = (t.sender * 7919) % n_emp

    def employer():
        return (band + rng.integers(0, max(10, n_emp // 10), n)) % n_emp

    contract_main = _pick(rng, n, [0.25, 0.35, 0.2, 0.2])
    hours_main = np.array([140.0, 120.0, 60.0, 110.0])[contract_main] * (0.8 + 0.4 * rng.random(n))
    # side job while in BOL education (before outflow)
    side = (~bbl_focus) & (rng.random(n) < 0.35)
    side_m0 = month_of(f_start) + rng.integers(0, 12, n)
    side_emp = employer()
    side_m1 = u_m - rng.integers(0, 4, n)
    side_to_main = side & (dest == D_WORK) & (rng.random(n) < 0.3)
    add(side, J_SIDE, side_emp, side_m0, np.where(side_to_main, u_m, side_m1), np.full(n, 2),
        30.0 + 40 * rng.random(n), wage_base * 0.85)
    # BBL employer during the focus enrolment
    bbl_emp = employer()
    add(bbl_focus, J_BBL, bbl_emp, month_of(f_start), u_m, np.full(n, 1), 100.0 + 50 * rng.random(n),
        wage_base * 0.8)
    # main job for work destinations
    work = dest == D_WORK
    stay = bbl_focus & work & (rng.random(n) < 0.6)
    main_emp = np.where(stay, bbl_emp, np.where(side_to_main, side_emp, employer()))
    main_m0 = np.where(stay | side_to_main, u_m + 1, s_month)
    main_len = (rng.exponential(26.0, n) + 2).astype(np.int32)
    main_m1 = np.maximum(main_m0 + main_len, u_m + 7 + rng.integers(0, 4, n))
    add(work, J_MAIN, main_emp, main_m0, main_m1, contract_main, hours_main, wage_base)
    # BBL job during a BBL follow-up enrolment
    fbbl = has_follow & (dest == D_BBL)
    fo_m1 = np.where(fo_end == NA, last_m, month_of(np.where(fo_end == NA, 0, fo_end)))
    fo_m1 = np.where(fo_end > last, last_m, fo_m1)
    fbbl_emp = employer()
    add(fbbl, J_BBL, fbbl_emp, month_of(fo_start), fo_m1, np.full(n, 1), 100.0 + 50 * rng.random(n),
        wage_base * 0.85)
    # side job during BOL follow-up
    fside = has_follow & (dest == D_BOL) & (rng.random(n) < 0.35)
    add(fside, J_SIDE, employer(), month_of(fo_start) + 1, fo_m1 - rng.integers(0, 3, n), np.full(n, 2),
        25.0 + 40 * rng.random(n), wage_base * 0.85)
    # what happens next: after a main job, after education, or out of NEET / benefit
    after = np.where(work, main_m1, np.where(has_follow, fo_m1, s_month + rng.integers(4, 20, n)))
    nxt = rng.random(n)
    p_work_next = np.where(work, 0.68, np.where(has_follow, 0.75, 0.45))
    next_work = (nxt < p_work_next) & (after < last_m)
    next_emp = np.where(fbbl & (rng.random(n) < 0.6), fbbl_emp, employer())
    next_m0 = after + rng.integers(1, 5, n)
    contract_next = _pick(rng, n, [0.3, 0.35, 0.15, 0.2])
    add(next_work, J_NEXT, next_emp, next_m0, next_m0 + (rng.exponential(30.0, n) + 3).astype(np.int32),
        contract_next, np.array([145.0, 125.0, 60.0, 115.0])[contract_next] * (0.8 + 0.4 * rng.random(n)),
        wage_base * 1.05)
    # a second, concurrent job for some workers (several employers)
    extra = (work | next_work) & (rng.random(n) < 0.12)
    ex_m0 = np.where(work, main_m0, next_m0) + rng.integers(0, 8, n)
    add(extra, J_EXTRA, employer(), ex_m0, ex_m0 + rng.integers(2, 14, n), np.full(n, 2),
        15.0 + 30 * rng.random(n), wage_base)
    job = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    # one person never has two overlapping spells at the same employer (that would be one
    # record key with two values): move the later spell to the neighbouring employer
    for _ in range(6):
        o = np.lexsort((job["m0"], job["emp"], job["pid"]))
        same = (job["pid"][o][1:] == job["pid"][o][:-1]) & (job["emp"][o][1:] == job["emp"][o][:-1])
        clash = same & (job["m0"][o][1:] <= job["m1"][o][:-1])
        if not clash.any():
            break
        move = o[1:][clash]
        job["emp"][move] = (job["emp"][move] + 1 + rng.integers(0, 5, move.size)) % n_emp
    # stash for benefits
    t._after = after            # type: ignore[attr-defined]
    t._next_work = next_work    # type: ignore[attr-defined]
    t._next_m0 = next_m0        # type: ignore[attr-defined]
    return job


def _benefits(rng, t: Truth, s_month, dest, last):
    n = t.n
    last_m = month_of(np.array([last]))[0]
    after, next_work, next_m0 = t._after, t._next_work, t._next_m0  # type: ignore[attr-defined]
    parts = []

    def add(mask, kind, start, end):
        idx = np.flatnonzero(mask & (start <= last))
        e = end[idx].astype(np.int32)
        e = np.where(e > last, NA, e).astype(np.int32)
        parts.append(dict(pid=idx.astype(np.int32), kind=kind[idx].astype(np.int8),
                          start=start[idx].astype(np.int32), end=e))

    kind = _pick(rng, n, [0.75, 0.08, 0.12, 0.05])     # PW, WW, WAJONG, ZW
    # benefit as destination: starts u+1..u+5, lasts 6..30 months
    ben = dest == D_BEN
    start = (month_start(s_month) + rng.integers(0, 25, n)).astype(np.int32)
    end = start + rng.integers(180, 900, n)
    end = np.where(next_work & ben, np.minimum(end, month_start(next_m0) - 1), end)
    add(ben, np.where(kind == 1, 0, kind), start, end)
    # benefit after a job / education ended and no next job (WW after work)
    later = (~next_work) & (dest != D_BEN) & (dest != D_NEET) & (rng.random(n) < 0.35) & (after < last_m - 1)
    k2 = np.where(dest == D_WORK, np.where(rng.random(n) < 0.45, 1, 0), np.where(kind == 2, 2, 0))
    s2 = (month_start(after + 1) + rng.integers(0, 25, n)).astype(np.int32)
    add(later, k2, s2, s2 + rng.integers(90, 700, n))
    # NEET people who later get social assistance
    neet_pw = (dest == D_NEET) & (rng.random(n) < 0.3)
    s3 = (month_start(s_month + rng.integers(3, 12, n)) + rng.integers(0, 25, n)).astype(np.int32)
    e3 = s3 + rng.integers(120, 800, n)
    e3 = np.where(next_work, np.minimum(e3, month_start(next_m0) - 1), e3)
    add(neet_pw & (month_of(s3) < np.where(next_work, next_m0, 10**6)), np.zeros(n, np.int8), s3, e3)
    # short sickness benefit during a job
    zw = (dest == D_WORK) & (rng.random(n) < 0.03)
    s4 = (month_start(s_month + rng.integers(2, 10, n)) + rng.integers(0, 25, n)).astype(np.int32)
    add(zw, np.full(n, 3), s4, s4 + rng.integers(14, 90, n))
    ben_ = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return ben_


def _participation(rng, ref: Reference, t: Truth, last):
    n = t.n
    pilot_of_inst = ref.inst_pilot[t.inst]
    eligible = (pilot_of_inst != "") & np.isin(t.prog, [ENTREE, BOL2, BBL2])
    year = t.u_date.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    p_reg = np.where(year == 2021, 0.5, 0.78)
    reg = eligible & (rng.random(n) < p_reg)
    idx = np.flatnonzero(reg)
    k = idx.size
    u = t.u_date[idx]
    deel = _pick(rng, k, [0.40, 0.33, 0.27])
    reg_date = (u - rng.integers(30, 200, k)).astype(np.int32)
    # participation type may have been upgraded later (informed -> supported)
    upgraded = (deel > 0) & (rng.random(k) < 0.45)
    deel_initial = np.where(upgraded, deel - 1, deel)
    upgrade_date = np.where(upgraded, u + rng.integers(0, 300, k), NA).astype(np.int32)
    p_j = np.array([0.15, 0.55, 0.82])[deel]
    consent = rng.random(k) < p_j
    c_date = np.where(consent, reg_date + rng.integers(0, 240, k), NA).astype(np.int32)
    # a few consent dates after the last delivery (pre-dated forms): not yet valid
    late = consent & (rng.random(k) < 0.015)
    c_date = np.where(late, day("2024-04-01") + rng.integers(0, 180, k), c_date).astype(np.int32)
    withdrawn = consent & (~late) & (rng.random(k) < 0.05)
    w_date = np.where(withdrawn, c_date + rng.integers(60, 1200, k), NA).astype(np.int32)
    w_date = np.where(w_date > last, NA, w_date).astype(np.int32)
    part = dict(pid=idx.astype(np.int32), pilot=pilot_of_inst[idx], deel=deel.astype(np.int8),
                deel0=deel_initial.astype(np.int8), reg=reg_date, upgrade=upgrade_date,
                consent=consent, cdate=c_date, wdate=w_date)

    # interventions: 1-4 for supported, sometimes one for informed participants
    n_itv = np.where(deel == 2, rng.integers(1, 5, k), np.where((deel == 1) & (rng.random(k) < 0.25), 1, 0))
    rows = np.repeat(np.arange(k), n_itv)
    r = rows.size
    code = _pick(rng, r, INTERVENTIE_P)
    code = np.where(deel[rows] == 1, rng.choice([0, 1, 2], r), code)
    start = (u[rows] + rng.integers(-240, 420, r)).astype(np.int32)
    end = np.where(rng.random(r) < 0.8, start + rng.integers(0, 150, r), NA).astype(np.int32)
    end = np.where(end > last, NA, end).astype(np.int32)
    uren = np.round(rng.gamma(2.0, 4.0, r) * 4) / 4 + 0.5
    keep = start <= last
    itv = dict(pid=idx[rows][keep].astype(np.int32), pilot=pilot_of_inst[idx][rows][keep],
               code=code[keep].astype(np.int8), start=start[keep], end=end[keep],
               uren=uren[keep].astype(np.float32))
    # same key (person, pilot, code, start) twice would be a conflict: keep the first
    key = np.stack([itv["pid"].astype(np.int64), itv["code"].astype(np.int64), itv["start"].astype(np.int64)], 1)
    _, first = np.unique(key, axis=0, return_index=True)
    first.sort()
    itv = {kk: v[first] for kk, v in itv.items()}
    return part, itv


# ---- truth at person level, for tests --------------------------------------------------------
def status_in_month(t: Truth, m: np.ndarray, coverage_month: int | None = None) -> np.ndarray:
    """Monthly status (definitions.md) of person ``i`` in month ``m[i]``, from the final truth.

    Returns indices into DEST_NAMES plus 5 = ``onbekend`` for months after the coverage month.
    """
    n = t.n
    m = np.asarray(m, dtype=np.int64)
    first_day, last_day = month_start(m).astype(np.int64), month_end(m).astype(np.int64)
    e = t.enr
    live = e["role"] != R_SPURIOUS
    pid = e["pid"][live]
    end = np.where(e["end"][live] == NA, 10**9, e["end"][live])
    overlap = (e["start"][live] <= last_day[pid]) & (end >= first_day[pid])
    enrolled = np.bincount(pid[overlap], minlength=n) > 0
    bbl = np.bincount(pid[overlap & e["bbl"][live]], minlength=n) > 0
    j = t.job
    # hours in month m (the restated months are 0 in the final truth: see deliveries)
    in_job = (j["m0"] <= m[j["pid"]]) & (j["m1"] >= m[j["pid"]])
    hours = np.zeros(n)
    np.add.at(hours, j["pid"][in_job], job_hours(t, np.flatnonzero(in_job), m[j["pid"][in_job]]))
    employed = hours > 0
    b = t.ben
    bend = np.where(b["end"] == NA, 10**9, b["end"])
    bov = (b["start"] <= last_day[b["pid"]]) & (bend >= first_day[b["pid"]])
    benefit = np.bincount(b["pid"][bov], minlength=n) > 0
    status = np.select([bbl, enrolled, employed, benefit], [D_BBL, D_BOL, D_WORK, D_BEN], D_NEET)
    if coverage_month is not None:
        status = np.where(m > coverage_month, 5, status)
    return status


def job_hours(t: Truth, job_idx: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Final (restated) paid hours of job spell ``job_idx`` in ``months`` (vectorised, stateless).

    Hours are a deterministic function of (spell, month) so that the writer and the tests agree
    without materialising every person-month.  Computed in blocks to bound memory.
    """
    out = np.empty(len(job_idx), dtype=np.float32)
    step = 4_000_000
    for a in range(0, len(job_idx), step):
        out[a:a + step] = _job_hours(t, job_idx[a:a + step], months[a:a + step])
    return out


def _job_hours(t: Truth, job_idx: np.ndarray, months: np.ndarray) -> np.ndarray:
    j = t.job
    h = _hash01(job_idx.astype(np.uint64) * np.uint64(1_000_003) + months.astype(np.uint64))
    base = j["hours"][job_idx].astype(np.float64)
    hours = np.round(base * (0.75 + 0.5 * h) * 2) / 2
    contract = j["contract"][job_idx]
    h2 = _hash01(job_idx.astype(np.uint64) * np.uint64(7_919) + months.astype(np.uint64) * np.uint64(104_729))
    zero = ((contract == 2) & (h2 < 0.05)) | (h2 > 0.995)   # oproep months without hours; restated to 0
    return np.where(zero, 0.0, hours)


def restated_to_zero(t: Truth, job_idx: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Months first delivered with hours and later restated to 0 (subset of the zero months)."""
    h2 = _hash01(job_idx.astype(np.uint64) * np.uint64(7_919) + months.astype(np.uint64) * np.uint64(104_729))
    return h2 > 0.995


def _hash01(x: np.ndarray) -> np.ndarray:
    """splitmix64 -> uniform [0, 1)."""
    z = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
