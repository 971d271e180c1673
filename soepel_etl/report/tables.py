"""The report's tables, built from the inputs: exact counts and shares, keyed for disclosure control.

Every count is asked of a family's :class:`~.records.Records` (DuckDB), never counted in Python."""

from __future__ import annotations

import functools

import duckdb
import numpy as np
import pandas as pd

from ..schema.rules import HOURS_FULL_TIME, WAGE_PERCENTILES, WINDOW, WORK_HORIZONS, nearest_rank_sql
from . import labels as L
from .model import Cell, Key, Table, key
from .records import Records


def _share(counter: Records, value: int, den: Key | None) -> float | None:
    if den is None:
        return None
    d = counter.count(den)
    return value / d if d else None


def count_cell(counter: Records, k: Key, den: Key | None = None) -> Cell:
    value = counter.count(k)
    return Cell(value=value, key=k, den=den, share=_share(counter, value, den))


def crosstab(counter: Records, *, id: str, title: str, family: str, stub: str,
             row_dim: str, row_values, row_labels: dict, col_dim: str, col_values, col_labels: dict,
             base: Key = (), shares: bool = True, unit: str = "jongeren", chart: str | None = "stacked",
             colours: dict | None = None, note: str = "", horizon: int | None = None) -> Table:
    """Rows × columns with a total column and a total row; shares within each row.

    ``horizon``: the month after outflow the columns describe; rows counting an outflow whose month
    u+horizon is not yet observed are marked ‘(voorlopig)’, and so is the table."""
    row_suffix, provisional = {}, False
    if horizon is not None:
        row_suffix, provisional = provisional_rows(counter, row_dim, row_values, horizon)
    rows, lines = [], []
    col_keys = [key((col_dim, c), base=base) for c in col_values]
    for rv in list(row_values) + [None]:
        rbase = key((row_dim, rv), base=base) if rv is not None else tuple(base)
        den = rbase if shares else None
        cells = [count_cell(counter, key((col_dim, c), base=rbase), den) for c in col_values]
        cells.append(count_cell(counter, rbase, den))
        label = ("Totaal" if rv is None else L.label(row_labels, rv)) + row_suffix.get(rv, "")
        rows.append((label, cells))
        lines.append((rbase, [c.key for c in cells[:-1]]))
    for ck in col_keys:
        lines.append((ck, [key(*ck, (row_dim, rv), base=base) for rv in row_values]))
    table = Table(id=id, title=title, stub=stub, columns=[L.label(col_labels, c) for c in col_values] + ["Totaal"],
                  rows=rows, family=family, unit=unit, note=note, chart=chart, lines=lines,
                  total_rows={len(rows) - 1},
                  colours=[colours.get(c, "#999999") for c in col_values] if colours else None)
    return mark_provisional(table) if provisional else table


PROVISIONAL_ROW = " (voorlopig)"
PROVISIONAL_TITLE = " – met voorlopige cijfers"
PROVISIONAL_NOTE = ("Rijen gemarkeerd met ‘(voorlopig)’ tellen uitstromers van wie deze maand na uitstroom nog niet "
                    "is waargenomen; die cijfers veranderen nog als er gegevens binnenkomen.")


def mark_provisional(table: Table, note: str = PROVISIONAL_NOTE) -> Table:
    """A table with provisional figures says so in its title and its note (HTML and workbook alike)."""
    table.title += PROVISIONAL_TITLE
    table.provisional = True
    table.note = f"{note} {table.note}".strip()
    return table


def provisional_rows(counter: Records, row_dim: str, row_values, horizon: int) -> tuple[dict, bool]:
    """The rows counting an outflow whose month u+horizon is not yet observed (suffix ‘(voorlopig)’),
    and whether the table has any."""
    open_ = counter.any_below("obs", horizon, by=row_dim)
    return {rv: PROVISIONAL_ROW for rv in row_values if rv in open_}, counter.any_below("obs", horizon)


def _present(values, ordered) -> list:
    have = set(values)
    return [v for v in ordered if v in have]


# -- outflows -------------------------------------------------------------------------------------
def outflow_tables(outflows: Records, cohort_labels: dict | None = None) -> dict[str, list[Table]]:
    """``cohort_labels``: row labels of pooled cohorts (``cohort`` then holds a group's first year)."""
    c = outflows
    cohorts = sorted(int(x) for x in outflows.values("cohort"))
    cohort_labels = cohort_labels or {}
    progs = _present(outflows.values("prog"), L.PROGRAMMES)
    parts = _present(outflows.values("part"), L.PARTICIPATION)
    out: dict[str, list[Table]] = {}

    out["cohorten"] = [crosstab(
        c, id="cohorten", title="Uitstromers per cohort: definitieve en voorlopige uitkomsten", family="uitstroom",
        stub="Cohort (uitstroomjaar)", row_dim="cohort", row_values=cohorts, row_labels=cohort_labels,
        col_dim="f24", col_values=["definitief", "voorlopig"], col_labels=L.FINAL_LABELS, shares=True,
        unit="uitstromers", colours={"definitief": "#0072B2", "voorlopig": "#BBBBBB"},
        note="Voorlopig: de 24e maand na uitstroom is nog niet waargenomen; deze cijfers veranderen nog.")]

    status_tables = []
    for k in L.HORIZONS:
        status_tables.append(crosstab(
            c, id=f"status{k}_cohort", title=f"Situatie {k} maanden na uitstroom, per cohort", family="uitstroom",
            stub="Cohort (uitstroomjaar)", row_dim="cohort", row_values=cohorts, row_labels=cohort_labels,
            col_dim=f"m{k}", col_values=list(L.STATUSES), col_labels=L.STATUS_LABELS, unit="uitstromers",
            colours=L.STATUS_COLOURS, horizon=k))
    out["status_cohort"] = status_tables
    out["status_programme"] = [crosstab(
        c, id=f"status{k}_opleiding", title=f"Situatie {k} maanden na uitstroom, per opleiding", family="uitstroom",
        stub="Opleiding bij uitstroom", row_dim="prog", row_values=progs, row_labels=L.PROGRAMME_LABELS,
        col_dim=f"m{k}", col_values=list(L.STATUSES), col_labels=L.STATUS_LABELS, unit="uitstromers",
        colours=L.STATUS_COLOURS, horizon=k) for k in L.HORIZONS]

    # the path: status in every month u+1 … u+24, all outflows of the selection
    rows, lines = [], []
    for m in range(1, WINDOW + 1):
        cells = [count_cell(c, key((f"m{m}", s)), ()) for s in L.STATUSES] + [count_cell(c, (), ())]
        rows.append((f"Maand {m}" + (PROVISIONAL_ROW if outflows.any_below("obs", m) else ""), cells))
        lines.append(((), [x.key for x in cells[:-1]]))
    out["pad"] = [Table(
        id="pad_24_maanden", title="Situatie per maand na uitstroom (maand 1 tot en met 24)", stub="Maand na uitstroom",
        columns=[L.STATUS_LABELS[s] for s in L.STATUSES] + ["Totaal"], rows=rows, family="uitstroom",
        unit="uitstromers", chart="area", lines=lines, colours=[L.STATUS_COLOURS[s] for s in L.STATUSES],
        note="Alle uitstromers van de selectie; maanden die nog niet zijn waargenomen tellen als ‘nog onbekend’.")]
    if outflows.any_below("obs", WINDOW):
        mark_provisional(out["pad"][0])

    sustained = []
    for dim, what in (("sd", "Duurzame bestemming"), ("sw", "Duurzaam werk")):
        for row_dim, row_values, row_labels, stub, suffix in (
                ("cohort", cohorts, cohort_labels, "Cohort (uitstroomjaar)", "cohort"),
                ("prog", progs, L.PROGRAMME_LABELS, "Opleiding bij uitstroom", "opleiding")):
            sustained.append(crosstab(
                c, id=f"{'bestemming' if dim == 'sd' else 'werk'}_{suffix}",
                title=f"{what} (maand 19–24 na uitstroom), per {suffix}", family="uitstroom", stub=stub,
                row_dim=row_dim, row_values=row_values, row_labels=row_labels, col_dim=dim,
                col_values=list(L.SUSTAINED), col_labels=L.SUSTAINED_LABELS, unit="uitstromers",
                colours=L.SUSTAINED_COLOURS, horizon=WINDOW))
    out["duurzaam"] = sustained

    out["deelname"] = [
        crosstab(c, id="deelname_status12", title="Situatie 12 maanden na uitstroom, naar deelname aan de pilot",
                 family="uitstroom", stub="Deelname", row_dim="part", row_values=parts,
                 row_labels=L.PARTICIPATION_LABELS, col_dim="m12", col_values=list(L.STATUSES),
                 col_labels=L.STATUS_LABELS, unit="uitstromers", colours=L.STATUS_COLOURS, horizon=12),
        crosstab(c, id="deelname_bestemming", title="Duurzame bestemming, naar deelname aan de pilot",
                 family="uitstroom", stub="Deelname", row_dim="part", row_values=parts,
                 row_labels=L.PARTICIPATION_LABELS, col_dim="sd", col_values=list(L.SUSTAINED),
                 col_labels=L.SUSTAINED_LABELS, unit="uitstromers", colours=L.SUSTAINED_COLOURS, horizon=WINDOW),
    ]
    return out


# -- work after outflow (definitions.md, "Work after outflow") ----------------------------------------
def nearest_rank(values, p: int) -> float | None:
    """The p-th percentile by nearest rank of ``values``, by the rule the report applies in DuckDB
    (:meth:`.records.Records.nearest_rank`, :func:`~soepel_etl.schema.rules.nearest_rank_sql`): x_⌈p·n/100⌉
    of the ascending values; None when there are none."""
    con = _scratch_database().cursor()    # a cursor is cheap; a new database costs ~20 ms a call
    try:
        return con.execute(f"SELECT {nearest_rank_sql('list_sort($values::DOUBLE[])', '$p')}",
                           {"values": [float(v) for v in values], "p": int(p)}).fetchall()[0][0]
    finally:
        con.close()


@functools.cache
def _scratch_database() -> duckdb.DuckDBPyConnection:
    """One in-memory database for the small computations of this module (each call takes a cursor:
    its own connection to it, safe from other threads)."""
    return duckdb.connect()


def _pilot_rows(outflows: Records, pilot_names: dict) -> tuple[list, dict]:
    codes = sorted(set(outflows.values("pilot_code")), key=lambda c: (c == L.NO_CODE, c))
    return codes, {c: L.NO_PILOT_LABEL if c == L.NO_CODE else f"{pilot_names.get(c, c)} ({c})" for c in codes}


def work_split(counter: Records, *, id: str, title: str, k: int, detail_dim: str, detail_values,
               detail_labels: dict, colours: dict, row_dim: str, row_values, row_labels: dict, stub: str,
               note: str = "") -> Table:
    """Rows × (geen werk | the split of those with work by ``detail_dim`` | met werk | nog onbekend | totaal)
    in month u+k. Every cell is keyed so that each sum the reader sees is a partition of a shown key by one
    more dimension: row total = geen + werk + onbekend (``w<k>``), werk = Σ detail (``detail_dim`` is set
    only for outflows with work), and every column over the rows."""
    w = f"w{k}"
    suffix, provisional = provisional_rows(counter, row_dim, row_values, k)
    rows, lines = [], []
    for rv in list(row_values) + [None]:
        rbase = key((row_dim, rv)) if rv is not None else ()
        werk = key((w, "werk"), base=rbase)
        details = [key((detail_dim, v), base=werk) for v in detail_values]
        keys = [key((w, "geen"), base=rbase)] + details + [werk, key((w, "onbekend"), base=rbase), rbase]
        cells = [count_cell(counter, x, rbase) for x in keys]
        rows.append((("Totaal" if rv is None else L.label(row_labels, rv)) + suffix.get(rv, ""), cells))
        lines += [(rbase, [keys[0], werk, keys[-2]]), (werk, details)]
    for j, ck in enumerate(c.key for c in rows[-1][1]):
        lines.append((ck, [rows[i][1][j].key for i in range(len(row_values))]))
    columns = ([L.WORK_STATE_LABELS["geen"]] + [L.label(detail_labels, v) for v in detail_values]
               + [L.WORK_STATE_LABELS["werk"], L.WORK_STATE_LABELS["onbekend"], "Totaal"])
    table = Table(id=id, title=title, stub=stub, columns=columns, rows=rows, family="uitstroom",
                  unit="uitstromers", note=note, chart="stacked", lines=lines, total_rows={len(rows) - 1},
                  colours=[L.WORK_STATE_COLOURS["geen"]] + [colours.get(v, "#999999") for v in detail_values]
                  + ["#000000", L.WORK_STATE_COLOURS["onbekend"]],
                  chart_skip={1 + len(detail_values)})
    return mark_provisional(table) if provisional else table


def work_tables(outflows: Records, cohort_labels: dict | None, pilot_names: dict, sbi_names: dict,
                minimum_wage: pd.DataFrame, employment_month: str | None) -> list[Table]:
    """The section ‘Werk na uitstroom’: hours bands and contracts at 12 and 24 months per cohort, durable work
    and the same employer per cohort and pilot, wage percentiles per cohort (``wage_n`` on each: the wage
    rule), the SBI sections, and the statutory minimum wage to compare with (no person counts)."""
    c = outflows
    cohorts = sorted(int(x) for x in outflows.values("cohort"))
    cohort_labels = cohort_labels or {}
    by_cohort = dict(row_dim="cohort", row_values=cohorts, row_labels=cohort_labels, stub="Cohort (uitstroomjaar)")
    tables = []
    for k in WORK_HORIZONS:
        tables.append(work_split(
            c, id=f"baan_uren{k}", title=f"Uren per week in de {k}e maand na uitstroom, per cohort", k=k,
            detail_dim=f"hb{k}", detail_values=L.WORK_BANDS, detail_labels=L.WORK_BAND_LABELS,
            colours=L.WORK_BAND_COLOURS, **by_cohort,
            note=f"Uren van alle banen samen in die maand: minder dan 52 uur per maand (12 per week), 52 tot "
                 f"{HOURS_FULL_TIME} of {HOURS_FULL_TIME} uur of meer (35 per week). ‘Met werk’ is de som van de drie."))
    for k in WORK_HORIZONS:
        present = set(outflows.values(f"ct{k}"))
        contracts = list(L.CONTRACTS) + sorted(present - set(L.CONTRACTS))
        tables.append(work_split(
            c, id=f"baan_contract{k}", title=f"Soort contract in de {k}e maand na uitstroom, per cohort", k=k,
            detail_dim=f"ct{k}", detail_values=contracts, detail_labels=L.CONTRACT_LABELS,
            colours=L.CONTRACT_COLOURS, **by_cohort,
            note="Het contract van de hoofdbaan: de baan met de meeste uren in die maand."))
    pilots, pilot_labels = _pilot_rows(outflows, pilot_names)
    for dim, what, ident, note in (
            ("dw", "Duurzaam werk bij één werkgever", "duurzaam",
             "Duurzaam werk: in elk van de maanden 19 tot en met 24 na uitstroom bij dezelfde werkgever gewerkt, "
             "en in maand 24 minstens 52 uur (12 uur per week)."),
            ("se", "Bij dezelfde werkgever na 12 en 24 maanden", "werkgever",
             "Dezelfde werkgever: in de 12e én de 24e maand na uitstroom uren bij dezelfde werkgever.")):
        for row_dim, row_values, row_labels, stub, suffix in (
                ("cohort", cohorts, cohort_labels, "Cohort (uitstroomjaar)", "cohort"),
                ("pilot_code", pilots, pilot_labels, "Pilot van de instelling", "pilot")):
            tables.append(crosstab(
                c, id=f"baan_{ident}_{suffix}", title=f"{what}, per {suffix}", family="uitstroom", stub=stub,
                row_dim=row_dim, row_values=row_values, row_labels=row_labels, col_dim=dim,
                col_values=list(L.SUSTAINED), col_labels=L.SUSTAINED_LABELS, unit="uitstromers",
                colours=L.SUSTAINED_COLOURS, horizon=WINDOW, note=note))
    minimum = minimum_wage_table(minimum_wage, min(cohorts) + 1 if cohorts else None, employment_month)
    for k in WORK_HORIZONS:
        tables.append(wage_table(c, k, cohorts, cohort_labels, _minimum_note(minimum)))
    tables.append(sector_table(c, sbi_names))
    if minimum is not None:
        tables.append(minimum)
    return tables


def wage_table(c: Records, k: int, cohorts: list, cohort_labels: dict, minimum_note: str) -> Table:
    """Per cohort: the outflows with a wage in month u+k (a person count) and the 25th, 50th and 75th
    percentile of that wage (``sv_loon`` per month, all jobs), by nearest rank over those outflows."""
    suffix, provisional = provisional_rows(c, "cohort", cohorts, k)
    with_wage = key((f"w{k}", "werk"), (f"lw{k}", "ja"))
    per_cohort = c.nearest_rank(f"wage{k}", with_wage, "cohort", WAGE_PERCENTILES)
    overall = c.nearest_rank(f"wage{k}", with_wage, None, WAGE_PERCENTILES)
    rows, lines = [], []
    for rv in cohorts + [None]:
        rbase = key(("cohort", rv)) if rv is not None else ()
        n_key = key(*with_wage, base=rbase)
        n = c.count(n_key)
        ranks = (per_cohort.get(rv) if rv is not None else overall.get(None)) or {}
        cells = [count_cell(c, n_key)] + [Cell(value=ranks.get(p), follows=n_key, wage_n=n)
                                          for p in WAGE_PERCENTILES]
        rows.append((("Totaal" if rv is None else L.label(cohort_labels, rv)) + suffix.get(rv, ""), cells))
    lines.append((rows[-1][1][0].key, [r[1][0].key for r in rows[:-1]]))
    table = Table(
        id=f"baan_loon{k}", title=f"Loon per maand in de {k}e maand na uitstroom, per cohort", stub="Cohort (uitstroomjaar)",
        columns=["Uitstromers met loon", "25% verdient minder dan (€)", "Mediaan (€)", "75% verdient minder dan (€)"],
        rows=rows, family="uitstroom", unit="uitstromers; lonen in euro per maand", lines=lines,
        total_rows={len(rows) - 1},
        note=("Het SV-loon (bruto loon voor de sociale verzekeringen) van alle banen samen in die maand, van de "
              "uitstromers met werk van wie het loon is aangeleverd; percentielen naar rangnummer. Het maandloon "
              "hangt af van het aantal uren: een loon onder het minimummaandloon betekent niet dat het uurloon onder "
              f"het minimum ligt. {minimum_note}").strip())
    return mark_provisional(table) if provisional else table


def sector_table(c: Records, sbi_names: dict) -> Table:
    """Outflows with work in month u+12 and u+24 by the SBI section of their main job; shares of a column."""
    present = set()
    for k in WORK_HORIZONS:
        present |= set(c.values(f"sb{k}"))
    sections = sorted(present - {"onbekend"}) + (["onbekend"] if "onbekend" in present else [])
    totals = [key((f"w{k}", "werk")) for k in WORK_HORIZONS]
    rows = []
    for s in sections + [None]:
        label = "Totaal met werk" if s is None else (
            "Sector onbekend" if s == "onbekend" else f"{s} {sbi_names.get(s, '')}".strip())
        cells = [count_cell(c, total if s is None else key((f"sb{k}", s), base=total), total)
                 for k, total in zip(WORK_HORIZONS, totals)]
        rows.append((label, cells))
    lines = [(total, [rows[i][1][j].key for i in range(len(sections))]) for j, total in enumerate(totals)]
    table = Table(
        id="baan_sector", title="Sector van de hoofdbaan (SBI-sectie) na 12 en 24 maanden", stub="SBI-sectie",
        columns=[f"{k} maanden na uitstroom" for k in WORK_HORIZONS], rows=rows, family="uitstroom",
        unit="uitstromers met werk", lines=lines, total_rows={len(rows) - 1}, shares_of="kolom",
        note="De sectie van de Standaard Bedrijfsindeling (SBI, CBS) van de hoofdbaan, uit de eerste twee cijfers van "
             "de SBI-code van de werkgever; ‘Sector onbekend’: geen of een onbekende code. Percentages: van de "
             "uitstromers met werk in die maand.")
    if c.any_below("obs", min(WORK_HORIZONS)):
        mark_provisional(table, "Voorlopig: van een deel van de uitstromers is deze maand nog niet waargenomen; "
                                "deze cijfers veranderen nog als er gegevens binnenkomen.")
    return table


MINIMUM_AGES = (18, 19, 20, 21)


def minimum_wage_table(minimum_wage: pd.DataFrame, first_year: int | None, last_month: str | None) -> Table | None:
    """The statutory (youth) minimum wage for the ages of most young people a year or two after leaving the
    mbo, for every period in force from January of ``first_year`` (the first year a wage 12 months after
    outflow can fall in) to ``last_month`` (the employment coverage month): hourly, and for a month of
    152 hours. From ``reference/national/minimumjeugdloon.csv``, which names its sources."""
    if minimum_wage is None or not len(minimum_wage) or first_year is None or not last_month:
        return None
    mw = minimum_wage.assign(leeftijd=minimum_wage["leeftijd"].astype(int),
                             uur=minimum_wage["minimum_uurloon"].astype(float))
    periods = sorted(mw["geldig_vanaf"].unique())
    start = max([p for p in periods if p <= f"{first_year}-01-01"] or periods[:1])
    chosen = [p for p in periods if start <= p <= f"{last_month}-31"]
    if not chosen:
        return None
    rows = []
    for period in chosen:
        part = mw[mw["geldig_vanaf"] == period].set_index("leeftijd")["uur"]
        oldest = int(part.index.max())
        hourly = [float(part.get(min(a, oldest))) for a in MINIMUM_AGES]   # the oldest listed: "… and older"
        cells = [Cell(v, decimals=2) for v in hourly] + [Cell(round(v * HOURS_FULL_TIME, 2), decimals=2)
                                                          for v in hourly]
        rows.append((f"Vanaf {L.date_label(pd.Timestamp(period).date())}", cells))
    sources = []
    for period in chosen:
        for src in mw.loc[mw["geldig_vanaf"] == period, "bron"].unique():
            if src not in sources:
                sources.append(src)
    ages = [f"{a} jaar" for a in MINIMUM_AGES]
    return Table(
        id="minimumloon", title="Wettelijk minimum(jeugd)loon voor jongeren van 18 tot en met 21 jaar",
        stub="Geldig", columns=[f"{a}: per uur (€)" for a in ages]
        + [f"{a}: per maand van {HOURS_FULL_TIME} uur (€)" for a in ages], rows=rows, family=None, unit="euro",
        note=(f"Per maand: het uurloon maal {HOURS_FULL_TIME} uur (35 uur per week, de grens voor voltijd in dit "
              "rapport). Tot 2024 gold het minimumloon per week; het uurloon hier is het weekloon gedeeld door 40. "
              "Sinds juli 2017 geldt vanaf 21 jaar het volledige minimumloon, daarvoor vanaf 23 jaar. Bron: "
              + "; ".join(sources) + "."))


def _minimum_note(minimum: Table | None) -> str:
    if minimum is None:
        return ""
    label, cells = minimum.rows[-1]
    n = len(MINIMUM_AGES)
    month = {a: cells[n + i].value for i, a in enumerate(MINIMUM_AGES)}
    fmt = lambda v: f"{v:,.0f}".replace(",", ".")  # noqa: E731
    return (f"Ter vergelijking ({label.lower()}): het wettelijk minimumloon voor een maand van {HOURS_FULL_TIME} uur "
            f"is € {fmt(month[18])} op 18 jaar, € {fmt(month[20])} op 20 jaar en € {fmt(month[21])} vanaf 21 jaar "
            "(tabel ‘Wettelijk minimum(jeugd)loon’).")


# -- interventions ----------------------------------------------------------------------------------
def intervention_tables(register: Records, per_kind: dict) -> list[Table]:
    """``register``: one record per register entry (``any``, ``k:<kind>``); ``per_kind``: kind → interventions."""
    kinds = sorted((k for k in per_kind if k is not None),
                   key=lambda k: (L.label(L.INTERVENTION_LABELS, k).lower(), k))
    c = register
    any_key = key(("any", True))
    rows = []
    for kind in kinds:
        k = key((f"k:{kind}", True))
        rows.append((L.label(L.INTERVENTION_LABELS, kind),
                     [count_cell(c, k, any_key), Cell(value=int(per_kind.get(kind, 0)), follows=k)]))
    rows.append(("Minstens één interventie", [count_cell(c, any_key, any_key),
                                              Cell(value=int(sum(per_kind.values())), follows=any_key)]))
    kinds_table = Table(
        id="interventies_soort", title="Geregistreerde interventies naar soort", stub="Soort interventie",
        columns=["Jongeren", "Interventies"], rows=rows, family="register", chart="bars",
        total_rows={len(rows) - 1}, colours=["#0072B2"],
        note="Eén jongere kan meerdere soorten interventies krijgen; het aandeel is van de jongeren met minstens één "
             "interventie. ‘Interventies’ telt registraties, geen personen.")
    parts = _present(register.values("part"), L.PARTICIPATION)
    whom = crosstab(c, id="interventies_deelname", title="Voor wie: deelnemers met en zonder interventie",
                    family="register", stub="Deelname", row_dim="part", row_values=parts,
                    row_labels=L.PARTICIPATION_LABELS, col_dim="any", col_values=[True, False],
                    col_labels={True: "Met interventie", False: "Zonder interventie"}, unit="deelnemers",
                    colours={True: "#0072B2", False: "#BBBBBB"},
                    note="Deelnemers in het register van een pilot met geldige toestemming.")
    return [kinds_table, whom]


# -- risk monitor ---------------------------------------------------------------------------------
def risk_tables(risk: Records, region_names: dict, municipality_names: dict) -> list[Table]:
    c = risk
    bands = _present(risk.values("band"), L.AGE_BANDS)
    regions = sorted(risk.values("region"), key=lambda r: (region_names.get(r, r), r))
    gemeenten = sorted(risk.values("gemeente"), key=lambda g: (municipality_names.get(g, g), g))
    common = dict(family="risico", col_dim="level", col_values=list(L.RISK_LEVELS), col_labels=L.RISK_LABELS,
                  colours=L.RISK_COLOURS)
    tables = [
        crosstab(c, id="risico_leeftijd", title="Risiconiveau naar leeftijd", stub="Leeftijd", row_dim="band",
                 row_values=bands, row_labels=L.AGE_LABELS, **common),
        crosstab(c, id="risico_regio", title="Risiconiveau naar RMC-regio", stub="RMC-regio", row_dim="region",
                 row_values=regions, row_labels={r: f"{region_names.get(r, r)} ({r})" for r in regions}, **common),
        crosstab(c, id="risico_gemeente", title="Risiconiveau naar woongemeente", stub="Woongemeente",
                 row_dim="gemeente", row_values=gemeenten,
                 row_labels={g: municipality_names.get(g, "Onbekend") for g in gemeenten}, chart=None,
                 **{k: v for k, v in common.items()}),
    ]
    # flags: not a partition (one person can have several); shares of the age band's population
    rows, lines = [], []
    for flag in L.RISK_FLAGS:
        cells = [count_cell(c, key((flag, True), ("band", b)), key(("band", b))) for b in bands]
        cells.append(count_cell(c, key((flag, True)), ()))
        rows.append((L.RISK_FLAG_LABELS[flag], cells))
        lines.append((cells[-1].key, [x.key for x in cells[:-1]]))
    pop = [count_cell(c, key(("band", b)), key(("band", b))) for b in bands] + [count_cell(c, (), ())]
    rows.append(("Alle jongeren in de monitor", pop))
    lines.append(((), [x.key for x in pop[:-1]]))
    tables.append(Table(
        id="risico_signalen", title="Signalen naar leeftijd", stub="Signaal",
        columns=[L.AGE_LABELS[b] for b in bands] + ["Totaal"], rows=rows, family="risico", chart="grouped",
        lines=lines, total_rows={len(rows) - 1}, colours=["#56B4E9", "#0072B2", "#003f6b"][:len(bands)] + ["#000000"],
        note="Eén jongere kan meerdere signalen hebben; het aandeel is van alle jongeren in de leeftijdsgroep."))
    return tables


# -- data quality (files and rows, no person counts) -------------------------------------------------
def quality_tables(loads: pd.DataFrame, quarantine: pd.DataFrame) -> list[Table]:
    tables = []
    if len(loads):
        rows = []
        for source in [s for s in L.SOURCE_LABELS if s in set(loads["source"].dropna())]:
            part = loads[loads["source"] == source]
            rows.append((L.SOURCE_LABELS[source], _quality_counts(part)))
        unknown = loads[loads["source"].isna()]
        if len(unknown):
            rows.append(("Niet herkend (bestandsnaam)", _quality_counts(unknown)))
        rows.append(("Totaal", _quality_counts(loads)))
        tables.append(Table(
            id="kwaliteit_bestanden", title="Aangeleverde bestanden en regels per bron", stub="Bron",
            columns=["Geladen", "Geweigerd", "Dubbel", "Regels gelezen", "Regels geladen", "In quarantaine",
                     "Dubbele regels", "Uitgesloten (geen toestemming)"],
            rows=rows, family=None, unit="bestanden/regels", total_rows={len(rows) - 1}))
        rejected = loads[loads["outcome"] == "rejected"]
        tables.append(Table(
            id="kwaliteit_geweigerd", title="Geweigerde bestanden", stub="Bestand",
            columns=["Bron", "Aanleverdatum", "Reden"],
            rows=[(r.file_name, [Cell(L.label(L.SOURCE_LABELS, r.source) if r.source else "–"),
                                 Cell(_date(r.delivery_date)), Cell(r.reason or "–")])
                  for r in rejected.itertuples()] or [("Geen", [Cell("–"), Cell("–"), Cell("–")])],
            family=None, unit="bestanden"))
        senders = loads[loads["sender"].notna()].groupby(["source", "sender"], sort=True)
        rows = []
        for (source, sender), part in senders:
            ok = part[part["outcome"] == "loaded"]
            rows.append((f"{L.label(L.SOURCE_LABELS, source)} – {sender}", [
                Cell(int(len(ok))), Cell(int((part["outcome"] == "rejected").sum())),
                Cell(_date(ok["delivery_date"].min()) if len(ok) else "–"),
                Cell(_date(ok["delivery_date"].max()) if len(ok) else "–"),
                Cell(int(ok["rows_loaded"].sum()))]))
        tables.append(Table(
            id="kwaliteit_aanleveraars", title="Dekking per aanleveraar", stub="Bron en aanleveraar",
            columns=["Bestanden geladen", "Geweigerd", "Eerste levering", "Laatste levering", "Regels geladen"],
            rows=rows, family=None, unit="bestanden/regels"))
    if len(quarantine):
        rows = [(f"{L.label(L.SOURCE_LABELS, r.source)}: {reason_label(r.reason)}", [Cell(int(r.rows))])
                for r in quarantine.itertuples()]
        tables.append(Table(
            id="kwaliteit_quarantaine", title="Regels in quarantaine naar reden", stub="Bron en reden",
            columns=["Regels"], rows=rows, family=None, unit="regels", chart="bars", colours=["#E69F00"],
            note="Eén regel kan om meer dan één reden in quarantaine staan."))
    return tables


def coverage_table(senders: pd.DataFrame, municipality_names: dict, employment_month: str | None) -> Table | None:
    """Each werk sender with the month its data reach, and which one holds the employment coverage
    month back (spec/extracts.md). Municipalities and months only, no person counts: it is in the
    intern and the publiek report alike."""
    if senders is None or not len(senders):
        return None
    rows = []
    for r in senders.itertuples():
        others = [c for c in (list(r.codes) if r.codes is not None else []) if c != r.sender]
        if not r.active:
            status = "ontbreekt: geen levering in de 6 maanden voor de laatste levering; houdt de maand niet tegen"
        elif r.holds_back:
            status = "bepaalt de maand tot waar werk is waargenomen"
        else:
            status = "actief"
        rows.append((f"{municipality_names.get(r.sender, r.sender)} ({r.sender})", [
            Cell(", ".join(others) or "–"), Cell(_date(r.latest_delivery)), Cell(L.month_label(r.coverage_month)),
            Cell(status)]))
    return Table(
        id="dekking_werk", title="Werkgegevens per gemeente: tot welke maand ze reiken", stub="Gemeente",
        columns=["Ook geleverd als (oude code)", "Laatste levering", "Gegevens tot en met", "Status"],
        rows=rows, family=None, unit="gemeenten",
        note=(f"Werk geldt als waargenomen tot en met {L.month_label(employment_month)}: de vroegste maand van de "
              "gemeenten die nog leveren. Een gemeente die achterloopt, houdt die maand tegen, zodat het ontbreken "
              "van haar gegevens niet als ‘geen werk’ telt; een gemeente die meer dan zes maanden niet leverde, "
              "ontbreekt en houdt niets meer tegen."))


def _quality_counts(part: pd.DataFrame) -> list[Cell]:
    loaded = part[part["outcome"] == "loaded"]
    return [Cell(int((part["outcome"] == o).sum())) for o in ("loaded", "rejected", "duplicate_file")] + [
        Cell(int(loaded[col].sum())) for col in
        ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_excluded")]


def _date(value):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "–"
    return pd.Timestamp(value).date()


REASONS = {
    "no_valid_identifier": "geen geldig BSN of onderwijsnummer",
    "conflicting_record_key": "zelfde sleutel met andere inhoud in één bestand",
    "unparseable": "onleesbare waarde",
    "out_of_domain": "waarde buiten het toegestane domein",
    "missing": "verplichte waarde ontbreekt",
    "after_delivery_month": "periode na de aanlevermaand",
}


def reason_label(reason: str) -> str:
    kind, _, column = str(reason).partition(":")
    text = REASONS.get(kind, kind.replace("_", " "))
    return f"{text} ({column})" if column else text
