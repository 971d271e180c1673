"""Reference data the generator builds on, read from the package with importlib.resources.

* ``soepel_etl/reference/data/{instellingen,gemeenten,pilots}.csv`` - the project's reference folder,
  and its optional ``gemeente_herindelingen.csv`` (municipal reorganisations);
* ``soepel_etl/synthetic/data/{postcodes,opleidingen}.csv`` - generator-only lookups.

Nothing here hard-codes institutions or municipalities.  Two small *hints* decide where students of
an institution live and which municipality delivers the SUWI/benefit extracts of a region; they are
only used when the named regions / municipalities exist in the reference files, and everything falls
back to a data-driven choice otherwise.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

# pilot code -> words that occur in the names of its RMC regions (README: "RMC Zwolle and RMC
# Noordoost-Veluwe", "Midden-Holland, Rijnland", ...).
_PILOT_REGION_HINTS = {
    "IJV": ("ijssel-vecht", "veluwe", "zwolle"),
    "AMS": ("amsterdam", "zaanstreek"),
    "RIJ": ("rijnland", "midden-holland"),
    "ZOD": ("drenthe",),
    "RIV": ("rivierenland",),
    "FRN": ("friesland",),
}
# non-pilot institution name fragment -> region name fragment (comparison group)
_INSTITUTION_REGION_HINTS = {
    "albeda": "rijnmond",
    "zadkine": "rijnmond",
    "midden nederland": "utrecht",
    "utrecht": "utrecht",
}
# regional centre municipalities that deliver werk/uitkeringen for their region
_CENTRE_HINTS = ("Amsterdam", "Zwolle", "Leiden", "Gouda", "Emmen", "Tiel", "Leeuwarden",
                 "Rotterdam", "Utrecht", "Harderwijk")
# delivery patterns (docs/synthetic-data.md): the werk sender that is regularly a delivery behind, and
# the one that stops delivering werk; when absent, the smallest other senders are used
_LAGGING_HINT = "Tiel"
_STOPPED_HINT = "Utrecht"


def _read_csv(text: str) -> list[dict[str, str]]:
    text = text.lstrip("\ufeff")
    return [
        {k.strip().lower(): (v or "").strip() for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text), delimiter=";")
    ]


def _read_package_csv(package: str, name: str, override_dir: Path | None) -> list[dict[str, str]]:
    if override_dir is not None:
        return _read_csv((Path(override_dir) / name).read_text(encoding="utf-8"))
    return _read_csv(resources.files(package).joinpath("data", name).read_text(encoding="utf-8"))


@dataclass
class Reference:
    brin: np.ndarray            # str, institution codes
    inst_pilot: np.ndarray      # str, pilot code or ""
    inst_region: np.ndarray     # int, index into regions: where its students live
    pilots: list[str]
    gm_code: np.ndarray         # str, municipalities
    gm_region: np.ndarray       # int, index into regions
    gm_weight: np.ndarray       # float, relative population proxy (number of pc4 areas)
    regions: list[str]          # rmc_regio_code
    region_sender: np.ndarray   # int, index into gm_code: municipality delivering for a region
    pc4: np.ndarray             # int
    pc4_gm: np.ndarray          # int index into gm_code
    crebo: np.ndarray           # str
    crebo_name: np.ndarray      # str
    crebo_level: np.ndarray     # int
    # municipal reorganisations: code -> [(old code, day of the change as int days since 1970)]
    predecessors: dict = None
    # codes that were formed by the change (not an existing municipality absorbing others)
    new_formations: frozenset = frozenset()
    lagging_sender: int = -1    # index into gm_code, -1 when there is none
    stopped_sender: int = -1


def load_reference(reference_dir: Path | None = None, data_dir: Path | None = None) -> Reference:
    inst = _read_package_csv("soepel_etl.reference", "instellingen.csv", reference_dir)
    gem = _read_package_csv("soepel_etl.reference", "gemeenten.csv", reference_dir)
    pil = _read_package_csv("soepel_etl.reference", "pilots.csv", reference_dir)
    pcs = _read_package_csv("soepel_etl.synthetic", "postcodes.csv", data_dir)
    opl = _read_package_csv("soepel_etl.synthetic", "opleidingen.csv", data_dir)

    pilots = [r["pilot"] for r in pil]
    gm_code = np.array([r["gemeente_code"] for r in gem])
    gm_name = [r["gemeente_naam"] for r in gem]
    region_codes = sorted({r["rmc_regio_code"] for r in gem if r["rmc_regio_code"]})
    region_name = {r["rmc_regio_code"]: r["rmc_regio_naam"].lower() for r in gem}
    gm_region = np.array([region_codes.index(r["rmc_regio_code"]) if r["rmc_regio_code"] else -1
                          for r in gem])

    gm_index = {c: i for i, c in enumerate(gm_code)}
    pc4 = np.array([int(r["pc4"]) for r in pcs if r["gemeente_code"] in gm_index], dtype=np.int64)
    pc4_gm = np.array([gm_index[r["gemeente_code"]] for r in pcs if r["gemeente_code"] in gm_index],
                      dtype=np.int64)
    gm_weight = np.bincount(pc4_gm, minlength=len(gm_code)).astype(float)
    # municipalities without postcodes can still be lived in (with a made-up pc4) but less often
    gm_weight = np.where(gm_weight > 0, gm_weight, 0.5)

    # regions per pilot, from the hints; regions claimed by no pilot go to non-pilot institutions
    pilot_regions: dict[str, list[int]] = {}
    for p in pilots:
        words = _PILOT_REGION_HINTS.get(p, (p.lower(),))
        pilot_regions[p] = [i for i, c in enumerate(region_codes)
                            if any(w in region_name[c] for w in words)]
    claimed = {i for v in pilot_regions.values() for i in v}
    free = [i for i in range(len(region_codes)) if i not in claimed] or list(range(len(region_codes)))

    brin, inst_pilot, inst_region = [], [], []
    free_cursor = 0
    per_pilot_seen: dict[str, int] = {}
    for r in inst:
        brin.append(r["brin"])
        p = r.get("pilot", "")
        inst_pilot.append(p)
        if p and pilot_regions.get(p):
            regs = pilot_regions[p]
            k = per_pilot_seen.get(p, 0)
            per_pilot_seen[p] = k + 1
            inst_region.append(regs[0] if k % 2 == 0 or len(regs) == 1 else regs[1 + (k // 2) % (len(regs) - 1)])
            continue
        name = r["naam"].lower()
        reg = -1
        for frag, rfrag in _INSTITUTION_REGION_HINTS.items():
            if frag in name:
                hits = [i for i in free if rfrag in region_name[region_codes[i]]]
                if hits:
                    reg = hits[0]
                    break
        if reg < 0:
            reg = free[free_cursor % len(free)]
            free_cursor += 1
        inst_region.append(reg)

    # one delivering municipality per region: a known regional centre, else the largest
    region_sender = np.zeros(len(region_codes), dtype=np.int64)
    for ri in range(len(region_codes)):
        members = np.flatnonzero(gm_region == ri)
        centre = [m for m in members if gm_name[m] in _CENTRE_HINTS]
        region_sender[ri] = centre[0] if centre else members[np.argmax(gm_weight[members])]

    # municipal reorganisations, only for codes that are municipalities in gemeenten.csv today
    predecessors: dict[str, list[tuple[str, int]]] = {}
    folder = Path(reference_dir) if reference_dir is not None else None
    has_table = ((folder / "gemeente_herindelingen.csv").is_file() if folder is not None
                 else resources.files("soepel_etl.reference").joinpath("data", "gemeente_herindelingen.csv").is_file())
    her = _read_package_csv("soepel_etl.reference", "gemeente_herindelingen.csv", reference_dir) if has_table else []
    codes = set(gm_code.tolist())
    for r in her:
        new = r["nieuwe_gemeente_code"].upper()
        if new in codes:
            day = int(np.datetime64(r["datum_herindeling"], "D").astype(np.int64))
            predecessors.setdefault(new, []).append((r["oude_gemeente_code"].upper(), day))
    # A code numbered from 1900 on and above all its predecessors' was formed by the merger; a lower
    # code is an existing municipality that absorbed others (Leeuwarden, Noordwijk, Purmerend, ...).
    new_formations = frozenset(c for c, olds in predecessors.items()
                               if int(c[2:]) >= 1900 and all(int(c[2:]) > int(o[2:]) for o, _ in olds))

    # only regions where an institution's students live have werk to deliver
    lived_in = sorted(set(int(r) for r in inst_region if r >= 0))
    senders = sorted({int(region_sender[r]) for r in lived_in}, key=lambda i: (gm_weight[i], gm_code[i]))

    def pick(hint: str, taken: set[int]) -> int:
        named = [i for i in senders if gm_name[i] == hint and i not in taken]
        rest = [i for i in senders if i not in taken]
        return named[0] if named else (rest[0] if len(rest) > 2 else -1)

    lagging = pick(_LAGGING_HINT, set())
    stopped = pick(_STOPPED_HINT, {lagging})

    return Reference(
        brin=np.array(brin), inst_pilot=np.array(inst_pilot), inst_region=np.array(inst_region),
        pilots=pilots, gm_code=gm_code, gm_region=gm_region, gm_weight=gm_weight,
        regions=region_codes, region_sender=region_sender, pc4=pc4, pc4_gm=pc4_gm,
        crebo=np.array([r["crebo"] for r in opl]), crebo_name=np.array([r["naam"] for r in opl]),
        crebo_level=np.array([int(r["niveau"]) for r in opl]),
        predecessors=predecessors, new_formations=new_formations,
        lagging_sender=lagging, stopped_sender=stopped,
    )
