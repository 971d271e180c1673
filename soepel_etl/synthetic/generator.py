"""Turn the truth (``model.py``) into a landing zone of deliveries (``writer.py``).

For every source the versions of every record are computed column-wise (which delivery carries
which version: backfill, later end dates and diplomas, corrections, withdrawals, late and restated
months), sorted by delivery, and then written file by file.  ``werk`` rows - by far the largest
source - are expanded per sending municipality so that only one sender's rows are in memory.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dataclasses import replace

from . import model as M
from . import work_values as W
from .model import NA
from .reference import Reference, load_reference
from .writer import (ROW_KINDS, BadRowInjector, Col, Dialect, draw_dialect, header_name, render,
                     write_table)

SOURCES = ("onderwijs", "werk", "uitkeringen", "deelnemers", "interventies")
BAD_ROW_RATE = 0.004          # share of extra bad rows per file (capped per file)
BAD_ROWS_MAX_PER_FILE = 300
_OPMERKINGEN = np.array(["", "", "", "", "gecontroleerd", "zie mail", "nagekomen", "export v2",
                         "correctie", "controle RMC"])


def _months(a: str, b: str, step: int) -> np.ndarray:
    m0 = M.month_of(np.array([M.day(a)]))[0]
    m1 = M.month_of(np.array([M.day(b)]))[0]
    return np.arange(m0, m1 + 1, step, dtype=np.int32)


def _stable_rng(seed: int, *parts) -> np.random.Generator:
    key = "|".join(str(p) for p in parts).encode()
    return np.random.Generator(np.random.PCG64([seed, 2, zlib.crc32(key)]))


def _dates(rng, months: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (M.month_start(months) + rng.integers(lo - 1, hi, len(months))).astype(np.int32)


def _ymd(day: int) -> str:
    return str(np.datetime64(int(day), "D")).replace("-", "")


def _needs_quotes(table: pa.Table, delimiter: str) -> bool:
    for col in table.columns:
        for ch in (delimiter, '"'):
            if pc.any(pc.match_substring(col, ch)).as_py():
                return True
    return any(delimiter in c or '"' in c for c in table.column_names)


class _Run:
    def __init__(self, out: Path, ref: Reference, t: M.Truth, seed: int):
        self.out, self.ref, self.t, self.seed = out, ref, t, seed
        self.files: list[dict] = []
        self.names: set[str] = set()
        self.injector = BadRowInjector(np.sort(t.bsn[t.bsn >= 0]))
        self.bad_rows: dict[str, int] = {}
        self.variants: dict[str, int] = {}
        n_emp = int(t.job["emp"].max()) + 1 if len(t.job["emp"]) else 1
        er = _stable_rng(seed, "employers")
        lh = er.integers(10**8 // 10, 10**9, n_emp)
        self.werkgever = np.char.add(np.char.add(lh.astype(str), "L"),
                                     np.char.zfill((er.integers(1, 4, n_emp)).astype(str), 2))

    # -- one file -------------------------------------------------------------------------------
    def write(self, source: str, sender: str, day: int, cols: dict[str, Col], n: int,
              showcase: bool, optional_cols: tuple[str, ...] = ()) -> None:
        base = f"{source}_{sender}_{_ymd(day)}"
        rng = _stable_rng(self.seed, base)
        d = draw_dialect(rng, source, n)
        name = f"{base}.{d.ext}"
        order = list(cols)
        drop = [c for c in optional_cols if rng.random() < 0.3]
        order = [c for c in order if c not in drop]
        if d.extra_col:
            cols = dict(cols)
            cols["opmerking"] = Col("text", _OPMERKINGEN[rng.integers(0, len(_OPMERKINGEN), n)])
            order.insert(int(rng.integers(0, len(order) + 1)), "opmerking")
        if d.shuffle:
            order = [order[i] for i in rng.permutation(len(order))]
        heads = [header_name(c, d, rng) for c in order]
        table = pa.table([render(cols[c], d) for c in order], names=heads)
        k = min(int(rng.binomial(n, BAD_ROW_RATE)), BAD_ROWS_MAX_PER_FILE)
        kinds_all = ROW_KINDS[source]
        wanted = [kinds_all[i] for i in rng.integers(0, len(kinds_all), k)]
        if showcase:
            wanted = list(kinds_all) + wanted
        table, counts = self.injector.inject(rng, source, table, wanted, d, day)
        for kk, v in counts.items():
            self.bad_rows[f"{source}:{kk}"] = self.bad_rows.get(f"{source}:{kk}", 0) + v
        if d.ext == "csv" and not d.quote and _needs_quotes(table, d.delimiter):
            d = replace(d, quote=True)   # e.g. a programme name with a comma in a comma file
        kinds = {h: cols[c].kind for h, c in zip(heads, order)}
        path = self.out / source / name
        nbytes = write_table(path, table, d, kinds)
        for v in d.variants():
            self.variants[v] = self.variants.get(v, 0) + 1
        self.names.add(name)
        self.files.append(dict(source=source, name=name, sender=sender, day=int(day),
                               rows=table.num_rows, bytes=nbytes, ext=d.ext))

    # -- identifiers of persons ------------------------------------------------------------------
    def id_cols(self, pid: np.ndarray) -> dict[str, Col]:
        return {"bsn": Col("id", self.t.bsn[pid]), "onderwijsnummer": Col("id", self.t.onr[pid])}


# ---- onderwijs ------------------------------------------------------------------------------
def _onderwijs(run: _Run) -> None:
    t, ref = run.t, run.ref
    e = t.enr
    q = _months("2022-03-01", "2024-03-01", 3)
    h = _months("2022-03-01", "2024-03-01", 6)
    main_seen: set[str] = set()
    for ii, brin in enumerate(ref.brin):
        p = ref.inst_pilot[ii]
        quarterly = bool(p) and p not in main_seen
        if p:
            main_seen.add(p)
        rng = _stable_rng(run.seed, "onderwijs-schedule", brin)
        D = _dates(rng, q if quarterly else h, 3, 20)
        K = D - 10
        sel = np.flatnonzero(e["inst"] == ii)
        if sel.size == 0:
            continue
        start, end = e["start"][sel], e["end"][sel]
        ended = end != NA
        nk = len(K)
        kf = np.searchsorted(K, start, side="left")
        ke = np.where(ended, np.searchsorted(K, np.where(ended, end, 0), side="left"), nk)
        ok = kf < nk
        r = rng.random((sel.size, 3))
        kend = np.maximum(kf, ke)
        has_next = ended & (kend + 1 < nk)
        corr_end = has_next & (r[:, 0] < 0.04)
        corr_dipl = has_next & ~corr_end & e["dipl"][sel] & (r[:, 1] < 0.10)
        spur = e["role"][sel] == M.R_SPURIOUS
        delta = (rng.integers(14, 90, sel.size) * np.where(r[:, 2] < 0.5, -1, 1)).astype(np.int32)
        wrong_end = np.where(corr_end, np.maximum(end + delta, start + 1), end)
        v_e, v_k, v_end, v_dip, v_mut = [], [], [], [], []

        def add(mask, k, end_shown, dipl_shown, mut):
            m = np.flatnonzero(mask & ok)
            v_e.append(sel[m]); v_k.append(k[m]); v_end.append(end_shown[m])
            v_dip.append(dipl_shown[m]); v_mut.append(np.full(m.size, mut, np.int8))

        dip = e["dipl"][sel]
        first_end_known = ended & (ke <= kf)
        # first version (N): end/diploma as known then (possibly wrong / not yet registered)
        end1 = np.where(first_end_known, np.where(corr_end, wrong_end, end), NA)
        dip1 = first_end_known & dip & ~corr_dipl
        add(np.ones(sel.size, bool), kf, end1, dip1, 0)
        # end registered in a later delivery (W)
        later = ended & (ke > kf) & (ke < nk)
        add(later, ke, np.where(corr_end, wrong_end, end), dip & ~corr_dipl, 1)
        # corrections one or two deliveries later (W)
        kc = np.minimum(kend + 1 + (r[:, 2] < 0.3), nk - 1)
        add(corr_end | corr_dipl, kc, end, dip, 1)
        # withdrawn enrolments (V)
        kv = np.minimum(kf + 1 + (r[:, 0] < 0.5), nk - 1)
        add(spur & (kf + 1 < nk), kv, end1, dip1, 2)
        ve, vk = np.concatenate(v_e), np.concatenate(v_k)
        vend, vdip, vmut = np.concatenate(v_end), np.concatenate(v_dip), np.concatenate(v_mut)
        order = np.lexsort((ve, vk))
        ve, vk, vend, vdip, vmut = ve[order], vk[order], vend[order], vdip[order], vmut[order]
        bounds = np.searchsorted(vk, np.arange(nk + 1))
        show = int(rng.integers(0, nk))
        for k in range(nk):
            a, b = bounds[k], bounds[k + 1]
            if a == b:
                continue
            idx, pid = ve[a:b], e["pid"][ve[a:b]]
            rr = _stable_rng(run.seed, "onderwijs-rows", brin, k)
            nrow = b - a
            spaced = rr.random(nrow) < 0.5
            pc = np.where(rr.random(nrow) < 0.03, "", M.postcode_strings(e["pc"][idx], spaced))
            opl = np.where(rr.random(nrow) < 0.05, "", ref.crebo_name[e["crebo"][idx]])
            cols = run.id_cols(pid)
            cols.update({
                "geboortedatum": Col("date", t.birth[pid]),
                "geslacht": Col("text", np.where(rr.random(nrow) < 0.02, "", t.sex[pid])),
                "postcode": Col("text", pc),
                "woongemeente": Col("text", _woongemeente(ref, e["home"][idx], e["pid"][idx], e["start"][idx])),
                "brin": Col("text", np.full(nrow, brin)),
                "inschrijving_id": Col("int", e["id"][idx]),
                "crebo": Col("text", ref.crebo[e["crebo"][idx]]),
                "opleiding": Col("text", opl),
                "niveau": Col("int", e["niveau"][idx].astype(np.int64)),
                "leerweg": Col("text", np.where(e["bbl"][idx], "BBL", "BOL")),
                "datum_inschrijving": Col("date", e["start"][idx]),
                "datum_uitschrijving": Col("date", vend[a:b]),
                "diploma": Col("text", np.where(vdip[a:b], "J", "N")),
                "datum_diploma": Col("date", np.where(vdip[a:b], e["ddipl"][idx], NA)),
                "reden_uitschrijving": Col("text", np.where(vend[a:b] == NA, "", e["reden"][idx])),
                "mutatie": Col("text", np.array(["N", "W", "V"])[vmut[a:b]]),
            })
            run.write("onderwijs", brin, int(D[k]), cols, nrow,
                      showcase=(ii == 1 and k == show), optional_cols=())


# ---- municipality codes over time -----------------------------------------------------------
WERK_STOP = "2023-06-30"      # the stopping sender's last werk delivery is on or before this day
WERK_LAG_EXTRA = 3            # months the lagging sender's data trails the others' at each delivery


def _former_part(ref: Reference, code: str, pid: np.ndarray) -> np.ndarray:
    """Which part of a merged municipality a person lived in: an index into its predecessors, or
    len(predecessors) for the part that kept the code (only when it absorbed the others). Equal
    shares, fixed per person so that all of a person's records agree."""
    olds = ref.predecessors[code]
    n_parts = len(olds) + (code not in ref.new_formations)
    return ((pid.astype(np.int64) * 2654435761) % 4294967296 // 7) % n_parts


def _woongemeente(ref: Reference, home: np.ndarray, pid: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The municipality code as registered when the enrolment started: a code that a later
    reorganisation replaced for enrolments that started before it (spec: an enrolment from 2018 carries
    the code of that year)."""
    out = ref.gm_code[home].astype(object)
    for code, olds in (ref.predecessors or {}).items():
        rows = np.flatnonzero(out == code)
        if rows.size == 0:
            continue
        part = _former_part(ref, code, pid[rows])
        for k, (old, day) in enumerate(olds):
            hit = rows[(part == k) & (start[rows] < day)]
            out[hit] = old
    return out.astype(str)


def _werk_merger(ref: Reference) -> tuple[str, int] | None:
    """The reorganisation shown in the werk deliveries: a newly formed municipality whose date lies
    well inside the delivery window, so that its predecessors deliver before and it delivers after."""
    lo, hi = M.day(M.FIRST_DELIVERY) + 90, M.day(M.LAST_DELIVERY) - 90
    hits = sorted((olds[0][1], code) for code, olds in (ref.predecessors or {}).items()
                  if code in ref.new_formations and all(lo <= d <= hi for _, d in olds))
    return (hits[-1][1], hits[-1][0]) if hits else None


# ---- werk -----------------------------------------------------------------------------------
def _senders(run: _Run) -> list[int]:
    return sorted(set(int(s) for s in np.unique(run.t.sender)))


def _werk_streams(run: _Run) -> list[tuple[str, np.ndarray, str, int]]:
    """(sender code, job rows, pattern, showcase) per werk sender: the regional senders, the one that
    lags, the one that stops, and the predecessors and successor of a merged municipality."""
    t, ref = run.t, run.ref
    j = t.job
    senders = _senders(run)
    counts = np.bincount(t.sender, minlength=len(ref.gm_code))
    monthly_sender = max(senders, key=lambda s: (counts[s], -s))
    merger = _werk_merger(ref)
    focus = np.flatnonzero(t.enr["role"] == M.R_FOCUS)
    home_code = np.empty(t.n, dtype=object)
    home_code[t.enr["pid"][focus]] = ref.gm_code[t.enr["home"][focus]]
    job_home = home_code[j["pid"]]
    merged_jobs = (job_home == merger[0]) if merger else np.zeros(len(j["pid"]), bool)
    streams = []
    for si, s in enumerate(senders):
        pattern = ("monthly" if s == monthly_sender else "lagging" if s == ref.lagging_sender
                   else "stopped" if s == ref.stopped_sender else "regular")
        streams.append((ref.gm_code[s], np.flatnonzero((t.sender[j["pid"]] == s) & ~merged_jobs), pattern, si == 0))
    if merger:
        code, _day = merger
        part = _former_part(ref, code, j["pid"])
        for k, (old, _d) in enumerate(ref.predecessors[code]):
            streams.append((old, np.flatnonzero(merged_jobs & (part == k)), "before_merger", False))
        streams.append((code, np.flatnonzero(merged_jobs), "after_merger", False))
    return streams


def _werk_schedule(run: _Run, code: str, pattern: str) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    """Delivery days, the coverage month of each delivery, and the sender's random stream (which
    goes on to draw the late and restated months) for one werk sender."""
    rng = _stable_rng(run.seed, "werk-schedule", code)
    months = _months("2022-03-01", "2024-03-01", 3)
    if pattern == "monthly":   # the big city moves to monthly deliveries in the last year
        months = np.unique(np.concatenate([months, _months("2023-04-01", "2024-03-01", 1)]))
    D = _dates(rng, months, 1, 15)
    lag = rng.choice([2, 3, 3, 4], len(D))
    if pattern == "monthly":
        lag = np.where(months >= _months("2023-04-01", "2023-04-01", 1)[0], 2, lag)
    if pattern == "lagging":   # each delivery holds what the others had a quarter earlier
        lag = lag + WERK_LAG_EXTRA
    C = np.maximum.accumulate(M.month_of(D) - lag).astype(np.int32)
    keep = np.ones(len(D), bool)
    if pattern == "stopped":
        keep = D <= M.day(WERK_STOP)
    elif pattern in ("before_merger", "after_merger"):
        merged_on = run.ref.predecessors[_werk_merger(run.ref)[0]][0][1]
        keep = (D < merged_on) if pattern == "before_merger" else (D >= merged_on)
    return D[keep], C[keep], rng


def _werk(run: _Run) -> None:
    t = run.t
    j = t.job
    for code, jsel, pattern, showcase in _werk_streams(run):
        D, C, rng = _werk_schedule(run, code, pattern)
        nk = len(D)
        if jsel.size == 0 or nk == 0:
            continue
        m0 = j["m0"][jsel]
        m1 = np.minimum(j["m1"][jsel], C[-1])
        ln = np.maximum(m1 - m0 + 1, 0)
        rep = np.repeat(jsel.astype(np.int32), ln)
        month = np.repeat((m0 - (np.cumsum(ln) - ln)).astype(np.int32), ln)
        month += np.arange(rep.size, dtype=np.int32)
        hours = M.job_hours(t, rep, month)
        k = np.searchsorted(C, month, side="left").astype(np.int16)
        rr = rng.random(rep.size, dtype=np.float32)
        has_next = k + 1 < nk
        rz = M.restated_to_zero(t, rep, month) & has_next
        corr = (~rz) & has_next & (hours > 0) & (rr < 0.004)
        late = (~rz) & (~corr) & has_next & (rr > 0.985)
        k_final = np.where(rz, k + 1 + (rr < 0.3) * (k + 2 < nk), np.where(corr | late, k + 1, k)).astype(np.int16)
        pre = np.flatnonzero(rz | corr)
        base = j["hours"][rep[pre]].astype(np.float64)
        pre_hours = np.where(rz[pre], np.round(base * 2) / 2, np.round(hours[pre] * 1.6) / 2)
        v_row = np.concatenate([np.arange(rep.size), pre])
        v_k = np.concatenate([k_final, k[pre]])
        v_hours = np.concatenate([hours, pre_hours])
        del rr, rz, corr, late, k_final, k
        order = np.argsort(v_k, kind="stable")
        v_row, v_k, v_hours = v_row[order], v_k[order], v_hours[order]
        bounds = np.searchsorted(v_k, np.arange(nk + 1))
        show = nk // 2
        for kk in range(nk):
            a, b = bounds[kk], bounds[kk + 1]
            if a == b:
                continue
            rows = v_row[a:b]
            ji = rep[rows]
            pid = j["pid"][ji]
            hrs = v_hours[a:b]
            nrow = b - a
            rx = _stable_rng(run.seed, "werk-rows", code, kk)
            cols = {"bsn": Col("id", t.bsn[pid]), "onderwijsnummer": Col("id", np.full(nrow, -1, np.int64)),
                    "periode": Col("month", month[rows]),
                    "werkgever": Col("text", run.werkgever[j["emp"][ji]]),
                    "uren": Col("dec", hrs),
                    "contractsoort": Col("text", np.where(rx.random(nrow) < 0.04, "",
                                                          M.CONTRACTS[W.contract_codes(t, ji, month[rows])])),
                    "sv_loon": Col("dec", W.sv_loon(t, ji, month[rows], hrs)),
                    "sbi": Col("text", W.sbi_codes(t, ji, month[rows]))}
            run.write("werk", code, int(D[kk]), cols, nrow, showcase=(showcase and kk == show),
                      optional_cols=("onderwijsnummer", "sbi"))
        del rep, month, hours, v_row, v_k, v_hours


# ---- uitkeringen ----------------------------------------------------------------------------
def _spells_per_delivery(sel: np.ndarray, start: np.ndarray, end: np.ndarray, K: np.ndarray):
    """For spells ``sel`` (with their start and end days) and the extraction days ``K`` of a sender's
    deliveries: per delivery ``k`` that has rows, ``(k, rows, datum_eind)``. A spell first appears in
    the first delivery after its start, still open when it ended after that extraction; the first
    delivery after its end repeats it with the end filled in (a correction of the earlier row)."""
    nk = len(K)
    ended = end != NA
    kf = np.searchsorted(K, start, side="left")
    ke = np.where(ended, np.searchsorted(K, np.where(ended, end, 0), side="left"), nk)
    ok = kf < nk
    v1 = np.flatnonzero(ok)
    v2 = np.flatnonzero(ok & ended & (ke > kf) & (ke < nk))
    ve = np.concatenate([sel[v1], sel[v2]])
    vk = np.concatenate([kf[v1], ke[v2]])
    vend = np.concatenate([np.where(ke[v1] <= kf[v1], end[v1], NA), end[v2]]).astype(np.int32)
    order = np.lexsort((ve, vk))
    ve, vk, vend = ve[order], vk[order], vend[order]
    bounds = np.searchsorted(vk, np.arange(nk + 1))
    for k in range(nk):
        a, b = bounds[k], bounds[k + 1]
        if a < b:
            yield k, ve[a:b], vend[a:b]


def _uitkeringen(run: _Run) -> None:
    t, ref = run.t, run.ref
    b = t.ben
    for si, s in enumerate(_senders(run)):
        code = ref.gm_code[s]
        rng = _stable_rng(run.seed, "uitkeringen-schedule", code)
        D = _dates(rng, _months("2022-03-01", "2024-03-01", 3), 5, 25)
        K = D - 20
        nk = len(K)
        sel = np.flatnonzero(t.sender[b["pid"]] == s)
        if sel.size == 0:
            continue
        for k, idx, vend in _spells_per_delivery(sel, b["start"][sel], b["end"][sel], K):
            cols = run.id_cols(b["pid"][idx])
            cols.update({"uitkering": Col("text", M.BENEFITS[b["kind"][idx]]),
                         "datum_start": Col("date", b["start"][idx]),
                         "datum_eind": Col("date", vend)})
            run.write("uitkeringen", code, int(D[k]), cols, len(idx), showcase=(si == 1 and k == nk // 2),
                      optional_cols=("onderwijsnummer",))


# ---- deelnemers & interventies ------------------------------------------------------------
_PILOT_MONTHS = ("2022-03-01", "2022-12-01", "2023-09-01", "2024-03-01")


def _pilot_schedule(run: _Run, source: str, pilot: str) -> np.ndarray:
    rng = _stable_rng(run.seed, source + "-schedule", pilot)
    months = M.month_of(np.array([M.day(x) for x in _PILOT_MONTHS]))
    return _dates(rng, months, 2, 22)


def _deelnemers(run: _Run) -> None:
    t, p = run.t, run.t.part
    for pi, pilot in enumerate(run.ref.pilots):
        D = _pilot_schedule(run, "deelnemers", pilot)
        K = D - 7
        nk = len(K)
        sel = np.flatnonzero(p["pilot"] == pilot)
        if sel.size == 0:
            continue
        kf = np.searchsorted(K, p["reg"][sel], side="left")
        evs = [kf]
        for col in ("upgrade", "cdate", "wdate"):
            v = p[col][sel]
            evs.append(np.where(v == NA, nk, np.searchsorted(K, np.where(v == NA, 0, v), side="left")))
        ve = np.concatenate([sel] * 4)
        vk = np.concatenate([np.maximum(ev, kf) for ev in evs])
        keep = vk < nk
        ve, vk = ve[keep], vk[keep]
        key = vk.astype(np.int64) * (len(p["pid"]) + 1) + ve
        _, first = np.unique(key, return_index=True)
        ve, vk = ve[np.sort(first)], vk[np.sort(first)]
        order = np.lexsort((ve, vk))
        ve, vk = ve[order], vk[order]
        bounds = np.searchsorted(vk, np.arange(nk + 1))
        for k in range(nk):
            a, b = bounds[k], bounds[k + 1]
            if a == b:
                continue
            idx = ve[a:b]
            Kk = K[k]
            up = p["upgrade"][idx]
            deel = np.where((up != NA) & (up > Kk), p["deel0"][idx], p["deel"][idx])
            cd = p["cdate"][idx]
            late = cd > M.day(M.LAST_DELIVERY)
            j_now = p["consent"][idx] & ((cd <= Kk) | late)
            wd = p["wdate"][idx]
            cols = run.id_cols(p["pid"][idx])
            cols.update({"pilot": Col("text", np.full(b - a, pilot)),
                         "deelname": Col("text", M.DEELNAME[deel]),
                         "toestemming": Col("text", np.where(j_now, "J", "N")),
                         "datum_toestemming": Col("date", np.where(j_now, cd, NA)),
                         "datum_intrekking": Col("date", np.where(j_now & (wd != NA) & (wd <= Kk), wd, NA))})
            run.write("deelnemers", pilot, int(D[k]), cols, b - a, showcase=(pi == 2 and k == 1))


def _interventies(run: _Run) -> None:
    t, it = run.t, run.t.itv
    for pi, pilot in enumerate(run.ref.pilots):
        D = _pilot_schedule(run, "interventies", pilot)
        K = D - 7
        sel = np.flatnonzero(it["pilot"] == pilot)
        if sel.size == 0:
            continue
        for k, idx, vend in _spells_per_delivery(sel, it["start"][sel], it["end"][sel], K):
            n = len(idx)
            rr = _stable_rng(run.seed, "interventies-rows", pilot, k)
            cols = run.id_cols(it["pid"][idx])
            cols.update({"pilot": Col("text", np.full(n, pilot)),
                         "interventie": Col("text", M.INTERVENTIES[it["code"][idx]]),
                         "datum_start": Col("date", it["start"][idx]),
                         "datum_eind": Col("date", vend),
                         "uren": Col("dec", np.where(rr.random(n) < 0.1, np.nan, it["uren"][idx]))})
            run.write("interventies", pilot, int(D[k]), cols, n, showcase=(pi == 3 and k == 1))


# ---- whole-file bad input ---------------------------------------------------------------------
def _bad_files(run: _Run) -> list[dict]:
    rng = _stable_rng(run.seed, "bad-files")
    out = run.out
    bad: list[dict] = []
    by_src = {s: sorted([f for f in run.files], key=lambda f: (f["day"], f["name"]))
              for s in SOURCES}
    by_src = {s: [f for f in v if f["source"] == s] for s, v in by_src.items()}

    def free_name(source, sender, day, ext):
        day = int(day)
        while True:
            name = f"{source}_{sender}_{_ymd(day)}.{ext}"
            if name not in run.names:
                run.names.add(name)
                return name
            day += 1

    fallback_sender = {"onderwijs": run.ref.brin[0], "werk": run.ref.gm_code[run.ref.region_sender[0]],
                       "uitkeringen": run.ref.gm_code[run.ref.region_sender[0]],
                       "deelnemers": run.ref.pilots[0], "interventies": run.ref.pilots[0]}

    def smallest(source, ext="csv"):
        c = [f for f in by_src[source] if f["ext"] == ext] or by_src[source]
        if not c:   # tiny populations: borrow the bytes of any delivery
            any_f = min(run.files, key=lambda f: (f["bytes"], f["name"]))
            return dict(any_f, sender=fallback_sender[source], name=f"../{any_f['source']}/{any_f['name']}",
                        day=M.day("2023-06-01"))
        return min(c, key=lambda f: (f["bytes"], f["name"]))

    def put(source, name, data, kind):
        (out / source / name).write_bytes(data)
        bad.append(dict(source=source, name=name, kind=kind, bytes=len(data)))

    # 1. names that do not follow the pattern (one of them a byte copy of a loaded file)
    f = smallest("onderwijs")
    data = (out / "onderwijs" / f["name"]).read_bytes()
    d = np.datetime64(f["day"], "D")
    put("onderwijs", f"onderwijs_{f['sender']}_{d}.csv", data, "bad_name")
    f2 = smallest("werk")
    put("werk", f"Kopie van werk_{f2['sender']}_{_ymd(f2['day'])}.csv", (out / "werk" / f2["name"]).read_bytes(),
        "bad_name")
    # 2. an empty file
    f3 = smallest("uitkeringen")
    put("uitkeringen", free_name("uitkeringen", f3["sender"], f3["day"] + 12, "csv"), b"", "empty_file")
    # 3. an .xlsx that is not a workbook (CSV text saved with the wrong extension)
    f4 = smallest("deelnemers", "csv")
    put("deelnemers", free_name("deelnemers", f4["sender"], f4["day"] + 9, "xlsx"),
        (out / "deelnemers" / f4["name"]).read_bytes()[:4000], "not_a_workbook")
    # 4. required column missing
    hdr = "bsn;werkgever;uren;contractsoort\n"
    body = "".join(f"{b:09d};{123456789 + i}L01;{80 + i},5;bepaald\n"
                   for i, b in enumerate(run.t.bsn[run.t.bsn >= 0][:20]))
    f5 = smallest("werk")
    put("werk", free_name("werk", f5["sender"], f5["day"] + 17, "csv"), (hdr + body).encode(), "missing_column")
    f6 = smallest("interventies")
    hdr = "bsn,pilot,datum_start,uren\n"
    body = "".join(f"{b:09d},{f6['sender']},01-03-2023,2\n" for b in run.t.bsn[run.t.bsn >= 0][20:30])
    put("interventies", free_name("interventies", f6["sender"], f6["day"] + 11, "csv"), (hdr + body).encode(),
        "missing_column")
    # 5. unreadable: binary junk
    junk = rng.integers(0, 256, 2048, dtype=np.uint8).tobytes()
    junk = b"\x00\xff\xfe" + junk
    f7 = by_src["onderwijs"][len(by_src["onderwijs"]) // 3] if by_src["onderwijs"] else smallest("onderwijs")
    put("onderwijs", free_name("onderwijs", f7["sender"], f7["day"] + 5, "csv"), junk, "unreadable")
    # 6. the same delivery sent twice under a later valid name -> duplicate_file
    for source in ("uitkeringen", "onderwijs"):
        fs = by_src[source] or [smallest(source)]
        g = fs[len(fs) // 2]
        put(source, free_name(source, g["sender"], g["day"] + 3, g["ext"]),
            (out / source / g["name"]).read_bytes(), "duplicate_file")
    return bad


# ---- entry points ---------------------------------------------------------------------------
def generate(out_dir: Path, persons: int = 5000, seed: int = 20240401, *,
             reference_dir: Path | None = None, data_dir: Path | None = None) -> dict:
    """Write a synthetic landing zone into ``out_dir``; return a JSON-serialisable summary."""
    out = Path(out_dir)
    if persons < 1:
        raise ValueError("persons must be at least 1")
    ref = load_reference(reference_dir, data_dir)
    t = M.build_truth(ref, persons, seed)
    for s in SOURCES:
        (out / s).mkdir(parents=True, exist_ok=True)
    run = _Run(out, ref, t, seed)
    _onderwijs(run)
    _werk(run)
    _uitkeringen(run)
    _deelnemers(run)
    _interventies(run)
    bad = _bad_files(run)
    by_source = {s: {"files": sum(1 for f in run.files if f["source"] == s),
                     "rows": int(sum(f["rows"] for f in run.files if f["source"] == s)),
                     "bytes": int(sum(f["bytes"] for f in run.files if f["source"] == s))}
                 for s in SOURCES}
    for b in bad:
        by_source[b["source"]]["files"] += 1
    return {
        "persons": int(persons),
        "seed": int(seed),
        "files": len(run.files) + len(bad),
        "rows": int(sum(f["rows"] for f in run.files)),
        "bad_files": len(bad),
        "bad_rows": int(sum(run.bad_rows.values())),
        "by_source": by_source,
        "bad_file_kinds": {b["name"]: b["kind"] for b in bad},
        "bad_row_kinds": dict(sorted(run.bad_rows.items())),
        "variants": dict(sorted(run.variants.items())),
        "first_delivery": _PILOT_MONTHS[0][:7],
        "last_delivery": max(_ymd(f["day"]) for f in run.files) if run.files else None,
    }


def person_table(persons: int = 5000, seed: int = 20240401, *, reference_dir: Path | None = None,
                 data_dir: Path | None = None):
    """The generator's person-level truth, for tests and calibration (never written to landing).

    One row per person with the focus outflow (the 2018-2021 enrolment exit the cohort counts),
    its programme, the intended destination and the status (definitions.md) 6, 12 and 24 months
    after outflow computed from the final versions of the generated records.
    """
    import pandas as pd

    ref = load_reference(reference_dir, data_dir)
    t = M.build_truth(ref, persons, seed)
    u_m = M.month_of(t.u_date)
    cover = M.month_of(np.array([M.day("2023-12-01")]))[0]
    out = {
        "person": np.arange(t.n),
        "has_bsn": t.bsn >= 0,
        "pilot": ref.inst_pilot[t.inst],
        "brin": ref.brin[t.inst],
        "programme": M.PROG_NAMES[t.prog],
        "outflow_date": t.u_date.astype("datetime64[D]"),
        "cohort": (t.u_date.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970),
        "birth_date": t.birth.astype("datetime64[D]"),
        "destination_6": M.DEST_NAMES[t.dest6],
    }
    names = np.append(M.DEST_NAMES, "onbekend")
    for k in (6, 12, 24):
        out[f"status_{k}"] = names[M.status_in_month(t, u_m + k, cover)]
    part = np.full(t.n, "geen_registratie", dtype=object)
    part[t.part["pid"]] = M.DEELNAME[t.part["deel"]]
    out["deelname"] = part
    return pd.DataFrame(out)
