"""The report's tables, built from the inputs: exact counts and shares, keyed for disclosure control."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema.rules import WINDOW
from . import labels as L
from .model import Cell, Key, Table, key


class Counter:
    """Counts the records of one family that satisfy a key, with one boolean mask per dimension value."""

    def __init__(self, records: pd.DataFrame):
        self.records = records
        self.n = len(records)
        self._masks: dict = {}

    def mask(self, k: Key) -> np.ndarray:
        m = np.ones(self.n, dtype=bool)
        for dim, value in k:
            cached = self._masks.get((dim, value))
            if cached is None:
                cached = (self.records[dim] == value).to_numpy(dtype=bool)
                self._masks[(dim, value)] = cached
            m &= cached
        return m

    def count(self, k: Key) -> int:
        return int(self.mask(k).sum())


def _share(counter: Counter, value: int, den: Key | None) -> float | None:
    if den is None:
        return None
    d = counter.count(den)
    return value / d if d else None


def count_cell(counter: Counter, k: Key, den: Key | None = None) -> Cell:
    value = counter.count(k)
    return Cell(value=value, key=k, den=den, share=_share(counter, value, den))


def crosstab(counter: Counter, *, id: str, title: str, family: str, stub: str,
             row_dim: str, row_values, row_labels: dict, col_dim: str, col_values, col_labels: dict,
             base: Key = (), shares: bool = True, unit: str = "jongeren", chart: str | None = "stacked",
             colours: dict | None = None, note: str = "", horizon: int | None = None) -> Table:
    """Rows × columns with a total column and a total row; shares within each row.

    ``horizon``: the month after outflow the columns describe; rows counting an outflow whose month
    u+horizon is not yet observed are marked ‘(voorlopig)’, and so is the table."""
    row_suffix, provisional = {}, False
    if horizon is not None:
        open_ = counter.records["obs"].to_numpy() < horizon
        row_suffix = {rv: PROVISIONAL_ROW for rv in row_values
                      if (open_ & (counter.records[row_dim] == rv).to_numpy(dtype=bool)).any()}
        provisional = bool(open_.any())
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


def mark_provisional(table: Table) -> Table:
    """A table with provisional figures says so in its title and its note (HTML and workbook alike)."""
    table.title += PROVISIONAL_TITLE
    table.provisional = True
    table.note = f"{PROVISIONAL_NOTE} {table.note}".strip()
    return table


def _present(values, ordered) -> list:
    have = set(values)
    return [v for v in ordered if v in have]


# -- outflows -------------------------------------------------------------------------------------
def outflow_tables(outflows: pd.DataFrame, cohort_labels: dict | None = None) -> dict[str, list[Table]]:
    """``cohort_labels``: row labels of pooled cohorts (``cohort`` then holds a group's first year)."""
    c = Counter(outflows)
    cohorts = sorted(int(x) for x in outflows["cohort"].unique())
    cohort_labels = cohort_labels or {}
    progs = _present(outflows["prog"], L.PROGRAMMES)
    parts = _present(outflows["part"], L.PARTICIPATION)
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
    observed = outflows["obs"].to_numpy()
    for m in range(1, WINDOW + 1):
        cells = [count_cell(c, key((f"m{m}", s)), ()) for s in L.STATUSES] + [count_cell(c, (), ())]
        rows.append((f"Maand {m}" + (PROVISIONAL_ROW if (observed < m).any() else ""), cells))
        lines.append(((), [x.key for x in cells[:-1]]))
    out["pad"] = [Table(
        id="pad_24_maanden", title="Situatie per maand na uitstroom (maand 1 tot en met 24)", stub="Maand na uitstroom",
        columns=[L.STATUS_LABELS[s] for s in L.STATUSES] + ["Totaal"], rows=rows, family="uitstroom",
        unit="uitstromers", chart="area", lines=lines, colours=[L.STATUS_COLOURS[s] for s in L.STATUSES],
        note="Alle uitstromers van de selectie; maanden die nog niet zijn waargenomen tellen als ‘nog onbekend’.")]
    if (observed < WINDOW).any():
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


# -- interventions ----------------------------------------------------------------------------------
def register_records(participants: pd.DataFrame, interventions: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One record per register entry with valid consent: participation type, any intervention, kinds."""
    kinds = sorted(interventions["kind"].unique(), key=lambda k: (L.label(L.INTERVENTION_LABELS, k).lower(), k))
    reg = participants[["pid", "pilot_code", "part"]].copy().reset_index(drop=True)
    got = interventions.groupby(["pid", "pilot_code"])["kind"].agg(set)
    sets = [got.get((p, q), set()) for p, q in zip(reg["pid"], reg["pilot_code"])]
    reg["any"] = [bool(s) for s in sets]
    for kind in kinds:
        reg[f"k:{kind}"] = [kind in s for s in sets]
    return reg.drop(columns=["pid"]), kinds


def intervention_tables(participants: pd.DataFrame, interventions: pd.DataFrame) -> tuple[list[Table], pd.DataFrame]:
    reg, kinds = register_records(participants, interventions)
    c = Counter(reg)
    per_kind = interventions.groupby("kind").size().to_dict()
    any_key = key(("any", True))
    rows = []
    for kind in kinds:
        k = key((f"k:{kind}", True))
        rows.append((L.label(L.INTERVENTION_LABELS, kind),
                     [count_cell(c, k, any_key), Cell(value=int(per_kind.get(kind, 0)), follows=k)]))
    rows.append(("Minstens één interventie", [count_cell(c, any_key, any_key),
                                              Cell(value=int(len(interventions)), follows=any_key)]))
    kinds_table = Table(
        id="interventies_soort", title="Geregistreerde interventies naar soort", stub="Soort interventie",
        columns=["Jongeren", "Interventies"], rows=rows, family="register", chart="bars",
        total_rows={len(rows) - 1}, colours=["#0072B2"],
        note="Eén jongere kan meerdere soorten interventies krijgen; het aandeel is van de jongeren met minstens één "
             "interventie. ‘Interventies’ telt registraties, geen personen.")
    parts = _present(reg["part"], L.PARTICIPATION)
    whom = crosstab(c, id="interventies_deelname", title="Voor wie: deelnemers met en zonder interventie",
                    family="register", stub="Deelname", row_dim="part", row_values=parts,
                    row_labels=L.PARTICIPATION_LABELS, col_dim="any", col_values=[True, False],
                    col_labels={True: "Met interventie", False: "Zonder interventie"}, unit="deelnemers",
                    colours={True: "#0072B2", False: "#BBBBBB"},
                    note="Deelnemers in het register van een pilot met geldige toestemming.")
    return [kinds_table, whom], reg


# -- risk monitor ---------------------------------------------------------------------------------
def risk_tables(risk: pd.DataFrame, region_names: dict, municipality_names: dict) -> list[Table]:
    c = Counter(risk)
    bands = _present(risk["band"], L.AGE_BANDS)
    regions = sorted(risk["region"].unique(), key=lambda r: (region_names.get(r, r), r))
    gemeenten = sorted(risk["gemeente"].unique(), key=lambda g: (municipality_names.get(g, g), g))
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
