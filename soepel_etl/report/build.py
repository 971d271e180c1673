"""Assemble the report: tables from the inputs, disclosure control for publiek, then the texts."""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path

import pandas as pd

from . import disclosure, labels as L, texts
from .format import count_text
from .inputs import Inputs
from .model import Cell, Report, Section, Table
from .records import Records
from .tables import (coverage_table, intervention_tables, outflow_tables, quality_tables, risk_tables,
                     work_tables)

AUDIENCES = ("intern", "publiek")


def pool_cohorts(outflows: Records, years: int) -> tuple[Records, dict]:
    """Cohorts in groups of ``years`` consecutive years, aligned on multiples of ``years`` (2018–2019,
    2020–2021, …) so that every report of the warehouse pools the same years: reports pooled
    differently could be subtracted from each other. ``cohort`` becomes the group's first year."""
    pooled = outflows.replaced({"cohort": f"cohort // {int(years)} * {int(years)}"})
    labels = {int(y): f"{y}–{y + years - 1}" for y in sorted(pooled.values("cohort"))}
    return pooled, labels


def build_report(inputs: Inputs, audience: str, pool: int | None = None, secondary: bool = True) -> Report:
    """``pool``: cohorts in groups of that many years (publiek only). ``secondary=False`` leaves out
    secondary suppression: only for tests and benchmarks that show what it protects."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    cohort_labels = None
    if pool is not None:
        if audience != "publiek":
            raise ValueError("pooling cohorts is for audience publiek only: the intern report shows every cohort")
        if pool < 2:
            raise ValueError(f"--pool-cohorts needs 2 or more years, not {pool}")
        outflows, cohort_labels = pool_cohorts(inputs.outflows, pool)
        inputs = replace(inputs, outflows=outflows)
    out = outflow_tables(inputs.outflows, cohort_labels)
    work = work_tables(inputs.outflows, cohort_labels, inputs.pilot_names, inputs.sbi_names, inputs.minimum_wage,
                       inputs.build.get("employment_coverage_month"))
    int_tables = intervention_tables(inputs.register, inputs.interventions)
    risk = risk_tables(inputs.risk, inputs.region_names, inputs.municipality_names)
    # publiek: the data-quality tables stay in the intern report (docs/report.md, "Data quality")
    quality = quality_tables(inputs.loads, inputs.quarantine) if audience == "intern" else []
    # which municipality holds the employment month back is no person count: both audiences see it
    senders = coverage_table(inputs.senders, inputs.municipality_names, inputs.build.get("employment_coverage_month"))
    quality = ([senders] if senders is not None else []) + quality
    deliveries = _deliveries_table(inputs.loads)

    sel = inputs.selection
    parts = []
    if sel.rmc_region:
        parts.append(f"RMC-regio {inputs.region_names.get(sel.rmc_region, sel.rmc_region)} ({sel.rmc_region})")
    if sel.pilot:
        parts.append(f"pilot {inputs.pilot_names.get(sel.pilot, sel.pilot)} ({sel.pilot})")
    selection_label = ", ".join(parts) if parts else "alle pilots en regio's"

    b = inputs.build
    sections = [
        Section("samenvatting", "Samenvatting", [], out["cohorten"] + [deliveries]),
        Section("uitkomsten", "Waar zijn jongeren 6, 12 en 24 maanden na uitstroom?", [
            "Per cohort en per opleiding: de situatie in de 6e, 12e en 24e maand na de maand van uitstroom. "
            "Cohorten waarvan niet alle uitkomsten al zijn waargenomen, staan gemarkeerd als voorlopig."],
            out["status_cohort"] + out["status_programme"]),
        Section("pad", "Het pad door de 24 maanden na uitstroom", [
            "Voor elke maand na uitstroom het aandeel uitstromers per situatie. Recente cohorten zijn nog niet "
            "24 maanden gevolgd; hun latere maanden tellen als ‘nog onbekend’."], out["pad"]),
        Section("duurzaam", "Duurzame bestemming en duurzaam werk", [
            "Duurzame bestemming: in minstens 5 van de maanden 19 tot en met 24 na uitstroom aan het werk, in "
            "onderwijs of werkend lerend. Duurzaam werk: hetzelfde met alleen werk of werkend leren."],
            out["duurzaam"]),
        Section("werk", "Werk na uitstroom", [texts.WORK_INTRO]
                + ([texts.WORK_PUBLIEK] if audience == "publiek" else []), work),
        Section("deelname", "Deelnemers aan de pilot en de vergelijkingsgroep", [texts.PARTICIPATION_CAVEAT],
                out["deelname"]),
        Section("interventies", "Geregistreerde interventies", [
            "Hoeveel interventies de pilots hebben geregistreerd, welke soorten, en voor welke deelnemers. Alleen "
            "deelnemers met geldige toestemming tellen mee."], int_tables),
        Section("risico", "Risicomonitor 16–27 jaar", [
            f"Peilmaand {L.month_label(b['risk_reference_month'])}. Alle jongeren van 16 tot en met 27 jaar die in "
            "een RMC-regio wonen, met hun risiconiveau en de signalen waarop dat berust."
            + (_risk_regions_text(inputs) if sel.pilot else "")], risk),
        Section("kwaliteit", "Datakwaliteit", [
            texts.QUALITY_INTRO if audience == "intern" else texts.QUALITY_PUBLIEK], quality),
        Section("definities", "Definities", [
            "Zo zijn de cijfers in dit rapport bepaald (uitgebreid in de specificatie van het project)."]),
    ]
    report = Report(
        title="RMC-monitor: jongeren na het mbo",
        subtitle=f"Selectie: {selection_label}",
        audience=audience, selection_label=selection_label,
        build_label=_build_label(b),
        sections=sections,
        families={"uitstroom": inputs.outflows, "risico": inputs.risk, "register": inputs.register},
    )
    if audience == "publiek":
        disclosure.apply(report, secondary=secondary)
    disclosure.wage_rule(report)
    sections[0].intro = _summary(report, inputs, out, cohort_labels)
    if audience == "publiek":
        sections[0].intro += texts.suppression_summary(report)
    return report


def link_status_page(report: Report, page: Path) -> None:
    """Intern only: the data-quality section points at the warehouse's status page
    (``soepel-etl status`` writes it beside the Data Docs). The link is a plain anchor: the report
    still loads nothing, and the publiek report, which leaves the organisation, never names the
    warehouse's folders."""
    if report.audience != "intern":
        return
    section = next(s for s in report.sections if s.id == "kwaliteit")
    if page.is_file():
        section.html_extra = (f'<p class="status-link">Status van de laatste run (bestanden, quarantaine, dekking, '
                              f'gewijzigde definitieve cijfers, ontbrekende aanleveraars): '
                              f'<a href="{escape(page.resolve().as_uri())}">{escape(page.name)}</a>.</p>')
    else:
        section.html_extra = ('<p class="status-link">De statuspagina van de laatste run ontbreekt nog: '
                              '<code>soepel-etl status --warehouse …</code> schrijft hem.</p>')


def _risk_regions_text(inputs: Inputs) -> str:
    regions = inputs.selection.risk_regions or []
    names = ", ".join(f"{inputs.region_names.get(r, r)} ({r})" for r in regions)
    pilot = inputs.pilot_names.get(inputs.selection.pilot, inputs.selection.pilot)
    if not regions:
        return (f" De risicomonitor is per regio, niet per pilot. De uitstromers van pilot {pilot} wonen in geen "
                "RMC-regio van deze selectie, dus hier staat niemand.")
    return (f" De risicomonitor is per regio, niet per pilot: hier staan alleen de jongeren van de RMC-regio's "
            f"waarin de uitstromers van pilot {pilot} wonen: {names}.")


def _build_label(b: dict) -> str:
    built = pd.Timestamp(b["built_at"])
    return (f"Gegevens van de warehouse-build van {L.date_label(built.date())} "
            f"(peildatum toestemming {L.date_label(pd.Timestamp(b['reference_date']).date())}).")


def _deliveries_table(loads: pd.DataFrame) -> Table:
    rows = []
    for source, name in L.SOURCE_LABELS.items():
        part = loads[(loads["source"] == source) & (loads["outcome"] == "loaded")] if len(loads) else loads
        last = pd.Timestamp(part["delivery_date"].max()).date() if len(part) else "–"
        rows.append((name, [Cell(last), Cell(int(part["sender"].nunique()) if len(part) else 0)]))
    return Table(id="laatste_levering", title="Laatste levering per bron", stub="Bron",
                 columns=["Laatste levering", "Aanleveraars"], rows=rows, family=None, unit="bestanden")


def _summary(report: Report, inputs: Inputs, out: dict, cohort_labels: dict | None) -> list[str]:
    b = inputs.build
    cohorts = sorted(inputs.outflows.values("cohort"))
    if cohort_labels:
        cohorts = [cohort_labels[int(c)] for c in cohorts]
    cohort_table = out["cohorten"][0]
    total = cohort_table.rows[-1][1][-1]
    provisional = cohort_table.rows[-1][1][1]
    status_tables = out["status_cohort"]
    marked = sum(len(cells) for t in status_tables for label, cells in t.rows if label.endswith("(voorlopig)"))
    figures = sum(len(cells) for t in status_tables for _ in [0] for label, cells in t.rows)
    cohort_text = f"{cohorts[0]} tot en met {cohorts[-1]}" if cohorts else "geen"
    if cohort_labels:
        cohort_text += ", per groep van opeenvolgende jaren samengenomen"
    return [
        f"Dit rapport volgt {count_text(total)} uitstromers uit het mbo (cohorten {cohort_text}) en laat zien waar "
        "zij 6, 12 en 24 maanden na hun uitstroom zijn, hoe hun pad door de eerste twee jaar loopt en welke "
        "jongeren van 16 tot en met 27 jaar nu aandacht nodig hebben.",
        f"Werkgegevens zijn waargenomen tot en met {L.month_label(b['employment_coverage_month'])}, "
        f"onderwijsgegevens tot en met {L.month_label(b['education_coverage_month'])}. "
        f"Van de uitstromers hebben er {count_text(provisional)} nog een voorlopige uitkomst na 24 maanden. "
        f"In de tabellen met de situatie per cohort zijn {marked} van de {figures} cijfers voorlopig; "
        "die cohorten zijn gemarkeerd met ‘(voorlopig)’. Elke tabel met voorlopige cijfers zegt dat in haar titel "
        "(‘met voorlopige cijfers’), met de rijen waarin ze zitten gemarkeerd.",
    ]
