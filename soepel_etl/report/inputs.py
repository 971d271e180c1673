"""Everything the report reads from the warehouse, in one module, selected by region and pilot.

Reads the marts (``outflow_outcomes`` with its monthly path ``statuses_24``, ``outflow_work``,
``risk_monitor``, ``participants``, ``interventions``), the loads manifest (with quarantined rows by
reason), ``_meta/builds`` and the reference tables the build stored (``core/municipalities``,
``core/pilots``: names of regions, municipalities and pilots as the warehouse was built with them),
and the national tables shipped with the package (SBI section names, the statutory minimum wage) —
nothing else.

A selection is checked against those reference tables: an unknown pilot or RMC region code is an
error, never a silently national report. With a pilot, the risk monitor (which is per region, not per
pilot) shows the RMC regions in which that pilot's outflows live (their ``rmc_region_code``: the
region of the municipality on the enrolment), intersected with ``--rmc-region`` when both are given.

The three families (outflows, the risk monitor's people, register entries) are not read into Python:
each is selected and joined once in DuckDB and kept as a file of the report's workspace
(:mod:`.records`), which the tables ask for counts. Person keys are used only to join; the families'
files hold none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..reference import national_table
from ..schema.rules import NO_CODE, WINDOW, WORK_HORIZONS, month_text_index, month_text_index_sql
from ..schema.sql import parquet
from . import labels as L
from .records import Records, Workspace, quote

# the warehouse tables _read takes (besides _meta/loads and _meta/builds): lineage names them as the
# report's inputs (soepel_etl/lineage.py), so a table added to _read belongs here too
READS = ("marts/outflow_outcomes", "marts/outflow_work", "marts/risk_monitor", "marts/interventions",
         "marts/participants", "core/municipalities", "core/pilots")


@dataclass
class Selection:
    rmc_region: str | None = None
    pilot: str | None = None
    risk_regions: list[str] | None = None     # with a pilot: the regions the risk monitor is filtered to

    def slug(self) -> str:
        parts = [f"regio-{self.rmc_region}" if self.rmc_region else "", f"pilot-{self.pilot}" if self.pilot else ""]
        return "-".join(p for p in parts if p) or "alle"


@dataclass
class Inputs:
    selection: Selection
    build: dict
    outflows: Records               # one record per outflow: cohort, pilot_code, prog, part, f24, obs, sd, sw,
                                    # m1 … m24, and work after outflow (marts/outflow_work): w12, hb12, ct12,
                                    # lw12, wage12, sb12 (likewise for 24), dw, se
    risk: Records                   # one record per person in the risk monitor: band, region, gemeente, level, flags
    register: Records               # one record per register entry with valid consent: pilot_code, part, any
                                    # (an intervention), k:<kind> per kind of intervention
    interventions: dict             # interventions of the register's entries: kind → how many
    loads: pd.DataFrame             # the loads manifest
    quarantine: pd.DataFrame        # source, reason, rows
    region_names: dict
    municipality_names: dict
    pilot_names: dict
    # the build's werk senders (_meta/coverage): coverage month, activity, whether it holds the
    # employment coverage month back; empty for a warehouse built before they were stored
    senders: pd.DataFrame = field(default_factory=pd.DataFrame)
    # national tables shipped with the package: SBI section → Dutch name; the statutory (youth) minimum wage
    sbi_names: dict = field(default_factory=dict)
    minimum_wage: pd.DataFrame = field(default_factory=pd.DataFrame)
    space: Workspace | None = None  # holds the families' files; closed with the inputs

    def close(self) -> None:
        if self.space is not None:
            self.space.close()


def _table(warehouse: Path, relpath: str) -> str | None:
    folder = Path(warehouse) / relpath
    if not folder.exists() or not any(folder.rglob("*.parquet")):
        return None
    return parquet(folder / "**" / "*.parquet", hive_partitioning="true", union_by_name="true")


def _require(warehouse: Path, relpath: str) -> str:
    source = _table(warehouse, relpath)
    if source is None:
        raise FileNotFoundError(f"the warehouse {warehouse} has no {relpath}: run `soepel-etl run` first")
    return source


def _where(clauses: list[str]) -> str:
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def _and(clauses: list[str]) -> str:
    return "".join(f" AND {c}" for c in clauses)


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def read_inputs(warehouse: Path, selection: Selection) -> Inputs:
    """The inputs of one report; its families stay in DuckDB until ``Inputs.close()``."""
    warehouse = Path(warehouse)
    space = Workspace()
    try:
        return _read(space, warehouse, selection)
    except BaseException:
        space.close()
        raise


def _read(space: Workspace, warehouse: Path, sel: Selection) -> Inputs:
    con = space.con
    outflow_src = _require(warehouse, "marts/outflow_outcomes")
    risk_src = _require(warehouse, "marts/risk_monitor")
    builds_src = _require(warehouse, "_meta/builds")

    build = con.sql(f"SELECT run_id, built_at, reference_date, employment_coverage_month, education_coverage_month, "
                    f"risk_reference_month FROM {builds_src} ORDER BY built_at DESC LIMIT 1").df().iloc[0].to_dict()
    coverage_src = _table(warehouse, "_meta/coverage")
    senders = (con.sql(f"SELECT sender, codes, latest_delivery, coverage_month, active, holds_back "
                       f"FROM {coverage_src} WHERE run_id = {_lit(build['run_id'])} ORDER BY sender").df()
               if coverage_src else pd.DataFrame(columns=["sender", "codes", "latest_delivery", "coverage_month",
                                                          "active", "holds_back"]))
    # names as the warehouse was built with them (a warehouse built before they were stored needs a rebuild)
    gemeenten = con.sql(f"SELECT * FROM {_require(warehouse, 'core/municipalities')}").df()
    pilots = con.sql(f"SELECT * FROM {_require(warehouse, 'core/pilots')}").df()
    _check_selection(sel, set(pilots.pilot_code.dropna()), set(gemeenten.rmc_region_code.dropna()))
    coverage = [m for m in (build["employment_coverage_month"], build["education_coverage_month"])]
    observed_until = (min(month_text_index(m) for m in coverage)
                      if all(isinstance(m, str) for m in coverage) else -1)

    # -- outflows (marts/outflow_outcomes) with the monthly path after outflow -----------------
    where = []
    if sel.rmc_region:
        where.append(f"rmc_region_code = {_lit(sel.rmc_region)}")
    if sel.pilot:
        where.append(f"pilot_code = {_lit(sel.pilot)}")
    # the path: statuses_24 holds the status of every month u+1 … u+24; the horizons come from the
    # mart's status_k (one home for them, which must agree with the path) and are columns, split by
    # cohort and more; the other months appear only in the path table, so only their counts are read
    horizons = ", ".join(f"status_{k} AS m{k}" for k in L.HORIZONS)
    path: dict = {f"m{k}": {} for k in range(1, WINDOW + 1) if k not in L.HORIZONS}
    for k, status, n in con.execute(f"""
            SELECT t.k, coalesce(o.statuses_24[t.k], 'onbekend'), count(*)
            FROM {outflow_src} AS o, range(1, {WINDOW} + 1) AS t(k)
            WHERE t.k NOT IN ({', '.join(str(h) for h in L.HORIZONS)}) {_and(where)} GROUP BY ALL""").fetchall():
        path.setdefault(f"m{k}", {})[status] = int(n)
    selected = f"""SELECT brin, enrolment_id, CAST(cohort AS INTEGER) AS cohort, pilot_code,
               {L.programme_sql()} AS prog, participation_type AS part,
               CASE WHEN final_24 THEN 'definitief' ELSE 'voorlopig' END AS f24,
               {observed_until} - {month_text_index_sql('outflow_month')} AS obs,
               CASE WHEN sustained_destination_24 IS NULL THEN 'onbekend'
                    WHEN sustained_destination_24 THEN 'ja' ELSE 'nee' END AS sd,
               CASE WHEN sustained_work_24 IS NULL THEN 'onbekend'
                    WHEN sustained_work_24 THEN 'ja' ELSE 'nee' END AS sw, {horizons}
        FROM {outflow_src} {_where(where)}"""
    outflows = space.materialise(f"""
        SELECT o.* EXCLUDE (brin, enrolment_id), w.* EXCLUDE (brin, inschrijving_id)
        FROM ({selected}) AS o
        LEFT JOIN ({_work(_require(warehouse, "marts/outflow_work"))}) AS w
               ON w.brin = o.brin AND w.inschrijving_id = o.enrolment_id""", marginals=path)
    expected = con.execute(f"SELECT count(*) FROM {outflow_src} {_where(where)}").fetchall()[0][0]
    if len(outflows) != expected:
        raise AssertionError(f"marts/outflow_work has more than one row for {len(outflows) - expected} outflow(s)")

    # -- risk monitor (marts/risk_monitor) ----------------------------------------------------
    rwhere = [f"r.rmc_region_code = {_lit(sel.rmc_region)}"] if sel.rmc_region else []
    if sel.pilot:
        sel.risk_regions = [r for (r,) in con.sql(
            f"SELECT DISTINCT rmc_region_code FROM {outflow_src} WHERE pilot_code = {_lit(sel.pilot)} "
            f"AND rmc_region_code IS NOT NULL AND rmc_region_code <> '-' ORDER BY 1").fetchall()
            if not sel.rmc_region or r == sel.rmc_region]
        rwhere.append(f"r.rmc_region_code IN ({', '.join(_lit(r) for r in sel.risk_regions) or 'NULL'})")
    # municipalities within regions, in the order they first appear among the people sorted by region,
    # age, score and person: the order the disclosure control's equations have always had (a minimum
    # per pair, not a sort of everyone)
    gemeente = "coalesce(r.municipality_code, '-')"
    hierarchy = (f"SELECT {gemeente}, r.rmc_region_code FROM {risk_src} AS r {_where(rwhere)} GROUP BY ALL "
                 "ORDER BY min((r.rmc_region_code, r.age, r.risk_score, r.person_key))")
    risk = space.materialise(f"""
        SELECT {L.age_band_sql('r.age')} AS band, r.rmc_region_code AS region, {gemeente} AS gemeente,
               r.risk_level AS level, {', '.join(f'r.{f}' for f in L.RISK_FLAGS)}
        FROM {risk_src} AS r {_where(rwhere)}""", pairs={("gemeente", "region"): hierarchy})

    # -- the participant register with its interventions (marts: valid consent only) -------------
    int_src, part_src = _table(warehouse, "marts/interventions"), _table(warehouse, "marts/participants")
    pwhere = []
    if sel.pilot:
        pwhere.append(f"p.pilot_code = {_lit(sel.pilot)}")
    if sel.rmc_region:
        pwhere.append(f"p.rmc_region_code = {_lit(sel.rmc_region)}")
    register, kinds = _register(con, space, part_src, int_src, pwhere)

    # -- the loads manifest ----------------------------------------------------------------------
    loads_src = _table(warehouse, "_meta/loads")
    loads = con.sql(f"SELECT file_name, source, sender, delivery_date, outcome, reason, rows_read, rows_loaded, "
                    f"rows_quarantined, rows_duplicate, rows_excluded FROM {loads_src} "
                    f"ORDER BY source, sender, delivery_date, file_name").df() if loads_src else pd.DataFrame()
    # quarantined rows by reason: per file in the manifest (JSON reason -> rows)
    if loads_src:
        quarantine = con.sql(f"""
            SELECT l.source, j.key AS reason, sum(CAST(j.value AS BIGINT)) AS rows
            FROM (SELECT source, quarantine_reasons FROM {loads_src}
                  WHERE outcome = 'loaded' AND quarantine_reasons IS NOT NULL) AS l,
                 json_each(l.quarantine_reasons) AS j
            GROUP BY ALL""").df()
    else:
        quarantine = pd.DataFrame(columns=["source", "reason", "rows"])
    quarantine = quarantine.sort_values(["source", "reason"]).reset_index(drop=True)

    regions = gemeenten.dropna(subset=["rmc_region_code"]).drop_duplicates("rmc_region_code")
    return Inputs(
        selection=sel, build=build, outflows=outflows, risk=risk, register=register, interventions=kinds,
        loads=loads, quarantine=quarantine,
        region_names=dict(zip(regions.rmc_region_code, regions.rmc_region_name)),
        municipality_names=dict(zip(gemeenten.municipality_code, gemeenten.municipality_name)),
        pilot_names=dict(zip(pilots.pilot_code, pilots.pilot_name)),
        senders=senders,
        sbi_names={r["sectie"]: r["naam"] for r in national_table("sbi_secties")},
        minimum_wage=pd.DataFrame(national_table("minimumjeugdloon")),
        space=space,
    )


def _work(source: str) -> str:
    """Work after outflow (marts/outflow_work) per outflow (``brin``, ``inschrijving_id``), as report
    dimensions. For horizon k: ``w<k>`` the state in month u+k (``werk``, ``geen``, ``onbekend`` = not
    observed); within ``werk`` only (null otherwise, so each splits ``w<k>`` = ``werk`` exactly): ``hb<k>``
    the hours band, ``ct<k>`` the main job's contract (``niet_opgegeven`` when the delivery left it empty),
    ``lw<k>`` a wage known (``ja``/``nee``), ``sb<k>`` the SBI section (``onbekend`` without one);
    ``wage<k>`` the wage itself. ``dw`` durable work and ``se`` the same employer at 12 and 24 months:
    ``ja``, ``nee``, ``onbekend``. An outflow without a row here has nulls in all of them."""
    cols = []
    for k in WORK_HORIZONS:
        cols += [
            f"CASE WHEN w.employed_{k} IS NULL THEN 'onbekend' WHEN w.employed_{k} THEN 'werk' ELSE 'geen' END AS w{k}",
            f"CASE WHEN w.employed_{k} THEN w.hours_band_{k} END AS hb{k}",
            f"CASE WHEN w.employed_{k} THEN CASE WHEN w.contract_{k} = 'onbekend' THEN 'niet_opgegeven' "
            f"ELSE w.contract_{k} END END AS ct{k}",
            f"CASE WHEN w.employed_{k} THEN CASE WHEN w.wage_{k} IS NULL THEN 'nee' ELSE 'ja' END END AS lw{k}",
            f"CASE WHEN w.employed_{k} THEN w.wage_{k} END AS wage{k}",
            f"CASE WHEN w.employed_{k} THEN coalesce(w.sbi_section_{k}, 'onbekend') END AS sb{k}",
        ]
    for dim, column in (("dw", "durable_work_24"), ("se", "same_employer_12_24")):
        cols.append(f"CASE WHEN w.{column} IS NULL THEN 'onbekend' WHEN w.{column} THEN 'ja' ELSE 'nee' END AS {dim}")
    return f"SELECT w.brin, w.inschrijving_id, {', '.join(cols)} FROM {source} AS w"


def _register(con, space: Workspace, part_src: str | None, int_src: str | None,
              where: list[str]) -> tuple[Records, dict]:
    """One record per register entry with valid consent (``pilot_code``, ``part``, ``any``: at least one
    intervention, ``k:<kind>``: one of that kind), and the interventions per kind."""
    if part_src is None:
        return space.materialise('SELECT NULL::VARCHAR AS pilot_code, NULL::VARCHAR AS part, false AS "any" '
                                 "WHERE false"), {}
    con.execute(f"""CREATE TEMP TABLE reg AS
        SELECT row_number() OVER () AS entry, p.person_key, p.pilot_code, p.participation_type AS part
        FROM {part_src} AS p {_where(where)}""")
    if int_src is None:
        con.execute("CREATE TEMP TABLE reg_int AS SELECT entry, NULL::VARCHAR AS kind FROM reg WHERE false")
    else:
        con.execute(f"""CREATE TEMP TABLE reg_int AS
            SELECT r.entry, i.intervention AS kind FROM {int_src} AS i JOIN reg AS r USING (person_key, pilot_code)""")
    per_kind = {kind: int(n) for kind, n in con.sql("SELECT kind, count(*) FROM reg_int GROUP BY ALL").fetchall()}
    flags = "".join(f", coalesce(bool_or(i.kind = {_lit(kind)}), false) AS {quote('k:' + str(kind))}"
                    for kind in per_kind if kind is not None)
    records = space.materialise(f"""
        SELECT r.pilot_code, r.part, count(i.entry) > 0 AS "any"{flags}
        FROM reg AS r LEFT JOIN reg_int AS i USING (entry) GROUP BY r.entry, r.pilot_code, r.part""")
    return records, per_kind


def _check_selection(sel: Selection, pilots: set, regions: set) -> None:
    """An unknown code is an error with the codes that would work, not a report of everything."""
    # '-' selects the outflows of institutions in no pilot (the comparison group, definitions.md), and
    # for regions the outflows whose municipality is in no RMC region
    if sel.pilot and sel.pilot != NO_CODE and sel.pilot not in pilots:
        raise ValueError(f"unknown pilot {sel.pilot!r}: the reference folder this warehouse was built with knows "
                         f"{', '.join(sorted(pilots)) or 'no pilots'}")
    if sel.rmc_region and sel.rmc_region != NO_CODE and sel.rmc_region not in regions:
        raise ValueError(f"unknown RMC region {sel.rmc_region!r}: the reference folder this warehouse was built "
                         f"with knows {', '.join(sorted(regions)) or 'no regions'}")
