"""The five source contracts of ``extracts.md``, as data.

Each column says how a delivered text value is parsed (its *kind*), whether it is required, which
values are allowed, and the name it gets in staging (English snake_case; codes keep their Dutch
values). Ingest generates its SQL from these tables, so a rule lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PILOT_CODES = ("IJV", "AMS", "RIJ", "ZOD", "RIV", "FRN")
INTERVENTION_CODES = (
    # prevention
    "signalering", "rmc_op_school", "loopbaangesprek", "casusoverleg",
    # additional guidance
    "doorwerkcoach", "leerwerkcoach", "jobfinder", "jobcoach",
    # empowerment
    "taalcursus", "training_werknemersvaardigheden", "certificaat",
)


@dataclass(frozen=True)
class Column:
    name: str                      # as delivered (header names are matched case-insensitively, trimmed)
    kind: str                      # identifier | date | month | code | integer | number | text | pattern
    staged_as: str | None = None   # staging column; None for identifiers (they become person_key)
    required: bool = False
    domain: tuple[str, ...] = ()   # allowed codes (kind code), matched after trim and case folding
    case: str = "upper"            # how codes are folded before matching: upper | lower
    pattern: str | None = None     # regular expression (kind pattern), matched after trim
    minimum: float | None = None
    maximum: float | None = None
    required_when: tuple[str, str] | None = None  # (column, value): required when that column has that value


@dataclass(frozen=True)
class Source:
    name: str
    columns: tuple[Column, ...]
    record_key: tuple[str, ...]    # delivered column names; "identifier" stands for the chosen person id
    xlsx_allowed: bool = False
    start_end: tuple[tuple[str, str], ...] = ()   # (start, end): end before start quarantines the row
    checks_age: bool = False                      # geboortedatum: 12 <= age <= 40 at the delivery date
    checks_month_after_delivery: str | None = None  # a month column that may not lie after the delivery month
    derived: dict[str, str] = field(default_factory=dict)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_ID = (
    Column("bsn", "identifier"),
    Column("onderwijsnummer", "identifier"),
)

ONDERWIJS = Source(
    name="onderwijs",
    xlsx_allowed=True,
    columns=_ID + (
        Column("geboortedatum", "date", "birth_month", required=True),
        Column("geslacht", "code", "sex", domain=("M", "V", "X")),
        Column("postcode", "pattern", "postcode4", pattern=r"[0-9]{4} ?[A-Za-z]{2}"),
        Column("woongemeente", "pattern", "municipality_code", required=True, pattern=r"(?i)GM[0-9]{4}"),
        Column("brin", "pattern", "brin", required=True, pattern=r"[0-9A-Za-z]{4}"),
        Column("inschrijving_id", "text", "enrolment_id", required=True),
        Column("crebo", "pattern", "crebo", required=True, pattern=r"[0-9]{5}"),
        Column("opleiding", "text", "programme_name"),
        Column("niveau", "integer", "niveau", required=True, minimum=1, maximum=4),
        Column("leerweg", "code", "leerweg", required=True, domain=("BOL", "BBL")),
        Column("datum_inschrijving", "date", "enrolment_start", required=True),
        Column("datum_uitschrijving", "date", "enrolment_end"),
        Column("diploma", "code", "diploma", required=True, domain=("J", "N")),
        Column("datum_diploma", "date", "diploma_date", required_when=("diploma", "J")),
        Column("reden_uitschrijving", "text", "leaving_reason"),
        Column("mutatie", "code", "mutation", domain=("N", "W", "V")),
    ),
    record_key=("brin", "inschrijving_id"),
    start_end=(("datum_inschrijving", "datum_uitschrijving"),),
    checks_age=True,
)

WERK = Source(
    name="werk",
    columns=_ID + (
        Column("periode", "month", "month", required=True),
        Column("werkgever", "text", "employer_key", required=True),
        Column("uren", "number", "hours", required=True, minimum=0),
        Column("contractsoort", "code", "contract_type", domain=("onbepaald", "bepaald", "oproep", "uitzend"), case="lower"),
        Column("sv_loon", "number", "sv_wage", minimum=0),
        Column("sbi", "text", "sbi"),
    ),
    record_key=("identifier", "werkgever", "periode"),
    checks_month_after_delivery="periode",
)

UITKERINGEN = Source(
    name="uitkeringen",
    columns=_ID + (
        Column("uitkering", "code", "benefit_type", required=True,
               domain=("PW", "WW", "WAJONG", "ZW", "WIA", "IOAW", "OVERIG")),
        Column("datum_start", "date", "start_date", required=True),
        Column("datum_eind", "date", "end_date"),
    ),
    record_key=("identifier", "uitkering", "datum_start"),
    start_end=(("datum_start", "datum_eind"),),
)

DEELNEMERS = Source(
    name="deelnemers",
    xlsx_allowed=True,
    columns=_ID + (
        Column("pilot", "code", "pilot_code", required=True, domain=PILOT_CODES),
        Column("deelname", "code", "participation_type", required=True,
               domain=("in_beeld", "geinformeerd", "ondersteund"), case="lower"),
        Column("toestemming", "code", "consent", required=True, domain=("J", "N")),
        Column("datum_toestemming", "date", "consent_date", required_when=("toestemming", "J")),
        Column("datum_intrekking", "date", "consent_withdrawn_date"),
    ),
    record_key=("identifier", "pilot"),
)

INTERVENTIES = Source(
    name="interventies",
    xlsx_allowed=True,
    columns=_ID + (
        Column("pilot", "code", "pilot_code", required=True, domain=PILOT_CODES),
        Column("interventie", "code", "intervention", required=True, domain=INTERVENTION_CODES, case="lower"),
        Column("datum_start", "date", "start_date", required=True),
        Column("datum_eind", "date", "end_date"),
        Column("uren", "number", "hours", minimum=0),
    ),
    record_key=("identifier", "pilot", "interventie", "datum_start"),
    start_end=(("datum_start", "datum_eind"),),
)

SOURCES: dict[str, Source] = {s.name: s for s in (ONDERWIJS, WERK, UITKERINGEN, DEELNEMERS, INTERVENTIES)}
