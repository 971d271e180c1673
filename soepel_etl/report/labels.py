"""Dutch labels, category orders and colours: the report's vocabulary, in one place."""

from __future__ import annotations

from ..schema.rules import (HORIZONS, HOURS_BANDS, NO_CODE, NO_REGISTRATION, RISK_FLAGS,  # noqa: F401
                             STATUS_PRIORITY, WORK_HORIZONS)

# statuses in reading order (active first, unknown last); codes from definitions.md
STATUSES = ("werk", "werkend_lerend", "onderwijs", "uitkering", "geen", "onbekend")
assert set(STATUSES) == set(STATUS_PRIORITY)
STATUS_LABELS = {
    "werk": "Werk",
    "werkend_lerend": "Werkend leren (bbl)",
    "onderwijs": "Onderwijs",
    "uitkering": "Uitkering",
    "geen": "Geen werk, school of uitkering",
    "onbekend": "Nog onbekend",
}
# Okabe-Ito: distinguishable with every common colour-vision deficiency
STATUS_COLOURS = {
    "werk": "#009E73",
    "werkend_lerend": "#56B4E9",
    "onderwijs": "#0072B2",
    "uitkering": "#E69F00",
    "geen": "#D55E00",
    "onbekend": "#BBBBBB",
}

PROGRAMMES = ("entree", "bol2", "bbl2", "hoger")
PROGRAMME_LABELS = {
    "entree": "Entree (niveau 1)",
    "bol2": "Niveau 2 bol",
    "bbl2": "Niveau 2 bbl",
    "hoger": "Niveau 3 en 4",
}


def programme_sql(niveau: str = "niveau", leerweg: str = "leerweg") -> str:
    """entree = niveau 1; BOL-2 and BBL-2 = niveau 2 by leerweg; higher levels = niveau 3 and 4."""
    return (f"CASE WHEN {niveau} <= 1 THEN 'entree' WHEN {niveau} = 2 AND {leerweg} = 'BBL' THEN 'bbl2' "
            f"WHEN {niveau} = 2 THEN 'bol2' ELSE 'hoger' END")


PARTICIPATION = ("ondersteund", "geinformeerd", "in_beeld", NO_REGISTRATION)
PARTICIPATION_LABELS = {
    "ondersteund": "Ondersteund",
    "geinformeerd": "Geïnformeerd",
    "in_beeld": "In beeld",
    NO_REGISTRATION: "Geen deelnemer (vergelijkingsgroep)",
}

SUSTAINED = ("ja", "nee", "onbekend")
SUSTAINED_LABELS = {"ja": "Ja", "nee": "Nee", "onbekend": "Nog onbekend"}
SUSTAINED_COLOURS = {"ja": "#009E73", "nee": "#D55E00", "onbekend": "#BBBBBB"}

FINAL_LABELS = {"definitief": "Definitief", "voorlopig": "Voorlopig"}

# work after outflow (definitions.md, "Work after outflow"): the state in month u+k, and within work
WORK_STATES = ("geen", "werk", "onbekend")
WORK_STATE_LABELS = {"geen": "Geen werk", "werk": "Met werk (totaal)", "onbekend": "Nog onbekend"}
WORK_BANDS = tuple(b for b in HOURS_BANDS if b != "geen")        # the bands of those with work
WORK_BAND_LABELS = {"klein": "Minder dan 12 uur per week", "deeltijd": "12 tot 35 uur per week",
                    "voltijd": "35 uur per week of meer"}
WORK_BAND_COLOURS = {"klein": "#F0E442", "deeltijd": "#56B4E9", "voltijd": "#0072B2"}
CONTRACTS = ("onbepaald", "bepaald", "oproep", "uitzend", "niet_opgegeven")
CONTRACT_LABELS = {"onbepaald": "Vast (onbepaalde tijd)", "bepaald": "Tijdelijk (bepaalde tijd)",
                   "oproep": "Oproepcontract", "uitzend": "Uitzendcontract", "niet_opgegeven": "Contract niet opgegeven"}
CONTRACT_COLOURS = {"onbepaald": "#009E73", "bepaald": "#56B4E9", "oproep": "#E69F00", "uitzend": "#CC79A7",
                    "niet_opgegeven": "#999999"}
WORK_STATE_COLOURS = {"geen": "#D55E00", "onbekend": "#BBBBBB"}
NO_PILOT_LABEL = "Geen pilot (vergelijkingsgroep)"

RISK_LEVELS = ("hoog", "verhoogd", "laag")
RISK_LABELS = {"hoog": "Hoog risico", "verhoogd": "Verhoogd risico", "laag": "Laag risico"}
RISK_COLOURS = {"hoog": "#D55E00", "verhoogd": "#E69F00", "laag": "#009E73"}

AGE_BANDS = ("16-17", "18-22", "23-27")
AGE_LABELS = {"16-17": "16–17 jaar", "18-22": "18–22 jaar", "23-27": "23–27 jaar"}


def age_band_sql(age: str = "age") -> str:
    return f"CASE WHEN {age} <= 17 THEN '16-17' WHEN {age} <= 22 THEN '18-22' ELSE '23-27' END"


RISK_FLAG_LABELS = {
    "zonder_startkwalificatie": "Zonder startkwalificatie",
    "vsv": "Voortijdig schoolverlater (vsv)",
    "neet_3m": "3 maanden of langer geen werk, school of uitkering",
    "op_uitkering": "Met uitkering",
    "baanverlies_6m": "Baan verloren in de laatste 6 maanden",
}

INTERVENTION_LABELS = {
    "signalering": "Signalering",
    "rmc_op_school": "RMC op school",
    "casusoverleg": "Casusoverleg",
    "loopbaangesprek": "Loopbaangesprek",
    "jobfinder": "Jobfinder",
    "jobcoach": "Jobcoach",
    "leerwerkcoach": "Leerwerkcoach",
    "doorwerkcoach": "Doorwerkcoach",
    "taalcursus": "Taalcursus",
    "training_werknemersvaardigheden": "Training werknemersvaardigheden",
    "certificaat": "Certificaat behaald",
}

SOURCE_LABELS = {
    "onderwijs": "Onderwijs (inschrijvingen)",
    "werk": "Werk (polisadministratie)",
    "uitkeringen": "Uitkeringen",
    "deelnemers": "Deelnemersregister pilots",
    "interventies": "Interventies pilots",
}
OUTCOME_LABELS = {"loaded": "Geladen", "rejected": "Geweigerd", "duplicate_file": "Dubbel bestand"}

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")


def month_label(month: str | None) -> str:
    """'2024-01' → 'januari 2024'."""
    if not month:
        return "onbekend"
    year, m = month.split("-")[:2]
    return f"{MONTHS_NL[int(m) - 1]} {year}"


def date_label(value) -> str:
    """A date → '22 maart 2024'."""
    if value is None:
        return "–"
    return f"{value.day} {MONTHS_NL[value.month - 1]} {value.year}"


def label(mapping: dict, code) -> str:
    return mapping.get(code, str(code))


__all__ = [name for name in dir() if not name.startswith("_")] + ["HORIZONS", "NO_CODE", "NO_REGISTRATION"]
