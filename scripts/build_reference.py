#!/usr/bin/env python3
"""Build Soepel ETL's shipped reference folder and the synthetic-data code lists.

Development-time only: reads the DUO "Dec" decode tables in ``reference-data/duo/`` (fixed-width,
Latin-1) plus the hand-curated tables below, and writes ``;``-separated UTF-8 files with a header
row, ``\\n`` line ends and rows sorted on their key, so that two runs give identical bytes:

* ``<out>/gemeenten.csv``      gemeente_code;gemeente_naam;rmc_regio_code;rmc_regio_naam;arbeidsmarktregio
* ``<out>/instellingen.csv``   brin;naam;pilot
* ``<out>/pilots.csv``         pilot;naam;doelgroep
* ``<out>/gemeente_herindelingen.csv``
  oude_gemeente_code;oude_gemeente_naam;nieuwe_gemeente_code;nieuwe_gemeente_naam;datum_herindeling
* ``<synthetic-out>/postcodes.csv``    pc4;gemeente_code
* ``<synthetic-out>/opleidingen.csv``  crebo;naam;niveau

Usage (from the repository root)::

    .venv/bin/python scripts/build_reference.py [--duo DIR] [--out DIR] [--synthetic-out DIR]

The pipeline never reads ``reference-data/``; see ``docs/reference-data.md`` for provenance and
known uncertainties.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DUO = REPO / "reference-data" / "duo"
DEFAULT_OUT = REPO / "soepel_etl" / "reference" / "data"
DEFAULT_SYNTHETIC_OUT = REPO / "soepel_etl" / "synthetic" / "data"

SEP = ";"

# --------------------------------------------------------------------------------------------
# Hand-curated tables
# --------------------------------------------------------------------------------------------

#: The six pilots (pilot_code, name as in the spec README table, target group).
PILOTS: list[tuple[str, str, str]] = [
    ("IJV", "Landstede/Deltion IJssel-Vecht", "entree en mbo-2"),
    ("AMS", "RMC Agglomeratie Amsterdam", "entree en mbo-2"),
    ("RIJ", "MBO Rijnland", "entree en mbo-2"),
    ("ZOD", "RMC Zuidoost-Drenthe", "entree en mbo-2"),
    ("RIV", "Rivierenland", "entree en mbo-2"),
    ("FRN", "RMC Friesland Noord", "entree en mbo-2"),
]

#: RMC regions used, numbered as in the 39-region RMC list in use around the pilot period
#: (2016-2020). code -> name.
RMC_REGIONS: dict[str, str] = {
    "RMC04": "Friesland Noord",
    "RMC08": "Zuidoost-Drenthe",
    "RMC10": "IJssel-Vecht",
    "RMC15": "Rivierenland",
    "RMC17": "Noordwest-Veluwe",
    "RMC19": "Utrecht",
    "RMC21": "Agglomeratie Amsterdam",
    "RMC26": "Rijnland",
    "RMC27": "Midden-Holland",
    "RMC29": "Rijnmond",
}

#: Which RMC regions make up each pilot's area (RMC19 and RMC29 are comparison regions).
PILOT_RMC_REGIONS: dict[str, tuple[str, ...]] = {
    "IJV": ("RMC10", "RMC17"),
    "AMS": ("RMC21",),
    "RIJ": ("RMC26", "RMC27"),
    "ZOD": ("RMC08",),
    "RIV": ("RMC15",),
    "FRN": ("RMC04",),
}

#: CBS municipality code (4 digits, as in Dec_postcodecijfers_2024) -> (RMC code, arbeidsmarktregio).
#: The municipality name is taken from the DUO file, not from here; the name given in the comment
#: is checked against it so that a code typo cannot slip through.
GEMEENTE_REGIO: dict[str, tuple[str, str, str]] = {
    # RMC04 Friesland Noord -- arbeidsmarktregio Friesland
    "0059": ("Achtkarspelen", "RMC04", "Friesland"),
    "0060": ("Ameland", "RMC04", "Friesland"),
    "0072": ("Harlingen", "RMC04", "Friesland"),
    "0080": ("Leeuwarden", "RMC04", "Friesland"),
    "0088": ("Schiermonnikoog", "RMC04", "Friesland"),
    "0093": ("Terschelling", "RMC04", "Friesland"),
    "0096": ("Vlieland", "RMC04", "Friesland"),
    "0737": ("Tytsjerksteradiel", "RMC04", "Friesland"),
    "1891": ("Dantumadiel", "RMC04", "Friesland"),
    "1949": ("Waadhoeke", "RMC04", "Friesland"),
    "1970": ("Noardeast-Fryslân", "RMC04", "Friesland"),
    # RMC08 Zuidoost-Drenthe -- arbeidsmarktregio Drenthe
    "0109": ("Coevorden", "RMC08", "Drenthe"),
    "0114": ("Emmen", "RMC08", "Drenthe"),
    "1681": ("Borger-Odoorn", "RMC08", "Drenthe"),
    # RMC10 IJssel-Vecht (contactgemeente Zwolle) -- arbeidsmarktregio Regio Zwolle
    "0148": ("Dalfsen", "RMC10", "Regio Zwolle"),
    "0160": ("Hardenberg", "RMC10", "Regio Zwolle"),
    "0166": ("Kampen", "RMC10", "Regio Zwolle"),
    "0175": ("Ommen", "RMC10", "Regio Zwolle"),
    "0177": ("Raalte", "RMC10", "Regio Zwolle"),
    "0180": ("Staphorst", "RMC10", "Regio Zwolle"),
    "0193": ("Zwolle", "RMC10", "Regio Zwolle"),
    "0244": ("Hattem", "RMC10", "Regio Zwolle"),
    "1708": ("Steenwijkerland", "RMC10", "Regio Zwolle"),
    "1896": ("Zwartewaterland", "RMC10", "Regio Zwolle"),
    # RMC15 Rivierenland -- arbeidsmarktregio Rivierenland
    "0214": ("Buren", "RMC15", "Rivierenland"),
    "0216": ("Culemborg", "RMC15", "Rivierenland"),
    "0263": ("Maasdriel", "RMC15", "Rivierenland"),
    "0281": ("Tiel", "RMC15", "Rivierenland"),
    "0297": ("Zaltbommel", "RMC15", "Rivierenland"),
    "0668": ("West Maas en Waal", "RMC15", "Rivierenland"),
    "1740": ("Neder-Betuwe", "RMC15", "Rivierenland"),
    "1960": ("West Betuwe", "RMC15", "Rivierenland"),
    # RMC17 Noordwest-Veluwe (the spec's "Noordoost-Veluwe") -- Stedendriehoek en Noordwest Veluwe
    "0230": ("Elburg", "RMC17", "Stedendriehoek en Noordwest Veluwe"),
    "0233": ("Ermelo", "RMC17", "Stedendriehoek en Noordwest Veluwe"),
    "0243": ("Harderwijk", "RMC17", "Stedendriehoek en Noordwest Veluwe"),
    "0269": ("Oldebroek", "RMC17", "Stedendriehoek en Noordwest Veluwe"),
    "0273": ("Putten", "RMC17", "Stedendriehoek en Noordwest Veluwe"),
    "0302": ("Nunspeet", "RMC17", "Stedendriehoek en Noordwest Veluwe"),
    # RMC19 Utrecht (comparison region, core municipalities only) -- Midden-Utrecht
    "0310": ("De Bilt", "RMC19", "Midden-Utrecht"),
    "0312": ("Bunnik", "RMC19", "Midden-Utrecht"),
    "0321": ("Houten", "RMC19", "Midden-Utrecht"),
    "0344": ("Utrecht", "RMC19", "Midden-Utrecht"),
    "0353": ("IJsselstein", "RMC19", "Midden-Utrecht"),
    "0355": ("Zeist", "RMC19", "Midden-Utrecht"),
    "0356": ("Nieuwegein", "RMC19", "Midden-Utrecht"),
    "1904": ("Stichtse Vecht", "RMC19", "Midden-Utrecht"),
    # RMC21 Agglomeratie Amsterdam, incl. Zaanstreek-Waterland
    "0363": ("Amsterdam", "RMC21", "Groot Amsterdam"),
    "0384": ("Diemen", "RMC21", "Groot Amsterdam"),
    "0385": ("Edam-Volendam", "RMC21", "Zaanstreek/Waterland"),
    "0415": ("Landsmeer", "RMC21", "Zaanstreek/Waterland"),
    "0431": ("Oostzaan", "RMC21", "Zaanstreek/Waterland"),
    "0439": ("Purmerend", "RMC21", "Zaanstreek/Waterland"),
    "0479": ("Zaanstad", "RMC21", "Zaanstreek/Waterland"),
    "0852": ("Waterland", "RMC21", "Zaanstreek/Waterland"),
    "0880": ("Wormerland", "RMC21", "Zaanstreek/Waterland"),
    # RMC26 Rijnland (Zuid-Holland-Noord) -- arbeidsmarktregio Holland Rijnland
    "0484": ("Alphen aan den Rijn", "RMC26", "Holland Rijnland"),
    "0534": ("Hillegom", "RMC26", "Holland Rijnland"),
    "0537": ("Katwijk", "RMC26", "Holland Rijnland"),
    "0546": ("Leiden", "RMC26", "Holland Rijnland"),
    "0547": ("Leiderdorp", "RMC26", "Holland Rijnland"),
    "0553": ("Lisse", "RMC26", "Holland Rijnland"),
    "0569": ("Nieuwkoop", "RMC26", "Holland Rijnland"),
    "0575": ("Noordwijk", "RMC26", "Holland Rijnland"),
    "0579": ("Oegstgeest", "RMC26", "Holland Rijnland"),
    "0626": ("Voorschoten", "RMC26", "Holland Rijnland"),
    "0638": ("Zoeterwoude", "RMC26", "Holland Rijnland"),
    "1525": ("Teylingen", "RMC26", "Holland Rijnland"),
    "1884": ("Kaag en Braassem", "RMC26", "Holland Rijnland"),
    # RMC27 Midden-Holland (Zuid-Holland-Oost) -- arbeidsmarktregio Midden-Holland
    "0513": ("Gouda", "RMC27", "Midden-Holland"),
    "0627": ("Waddinxveen", "RMC27", "Midden-Holland"),
    "1892": ("Zuidplas", "RMC27", "Midden-Holland"),
    "1901": ("Bodegraven-Reeuwijk", "RMC27", "Midden-Holland"),
    "1931": ("Krimpenerwaard", "RMC27", "Midden-Holland"),
    # RMC29 Rijnmond (comparison region) -- arbeidsmarktregio Rijnmond
    "0489": ("Barendrecht", "RMC29", "Rijnmond"),
    "0502": ("Capelle aan den IJssel", "RMC29", "Rijnmond"),
    "0542": ("Krimpen aan den IJssel", "RMC29", "Rijnmond"),
    "0556": ("Maassluis", "RMC29", "Rijnmond"),
    "0597": ("Ridderkerk", "RMC29", "Rijnmond"),
    "0599": ("Rotterdam", "RMC29", "Rijnmond"),
    "0606": ("Schiedam", "RMC29", "Rijnmond"),
    "0613": ("Albrandswaard", "RMC29", "Rijnmond"),
    "0622": ("Vlaardingen", "RMC29", "Rijnmond"),
    "1621": ("Lansingerland", "RMC29", "Rijnmond"),
    "1924": ("Goeree-Overflakkee", "RMC29", "Rijnmond"),
    "1930": ("Nissewaard", "RMC29", "Rijnmond"),
    "1992": ("Voorne aan Zee", "RMC29", "Rijnmond"),
}

#: Municipal reorganisations (gemeentelijke herindelingen) since 1 January 2015 in which a municipality
#: code disappeared: (date, old code, old name, new code). Every event is named in a public source
#: (see SOURCES_HERINDELINGEN and docs/reference-data.md); the old codes and names match the public
#: CBS code lists of the year before the change. The build checks that no old code is still in
#: Dec_postcodecijfers_2024.asc, and that every final code is there (a chain such as
#: 0265 -> 0241 -> 1945 may pass through a code that itself disappeared later).
#: Left out on purpose: municipalities that were split over several others (Maasdonk 2015,
#: Littenseradiel 2018, Winsum 2019, Haaren 2021) - their residents cannot be mapped by code alone.
HERINDELINGEN: tuple[tuple[str, str, str, str], ...] = (
    # 2015-01-01 (CBS, "Per 1 januari 2015 393 gemeenten")
    ("2015-01-01", "0458", "Schermer", "0361"),
    ("2015-01-01", "0365", "Graft-De Rijp", "0361"),
    ("2015-01-01", "0265", "Millingen aan de Rijn", "0241"),
    ("2015-01-01", "0282", "Ubbergen", "0241"),
    ("2015-01-01", "0491", "Bergambacht", "1931"),
    ("2015-01-01", "0643", "Nederlek", "1931"),
    ("2015-01-01", "0644", "Ouderkerk", "1931"),
    ("2015-01-01", "0608", "Schoonhoven", "1931"),
    ("2015-01-01", "0623", "Vlist", "1931"),
    ("2015-01-01", "0568", "Bernisse", "1930"),
    ("2015-01-01", "0612", "Spijkenisse", "1930"),
    # 2016-01-01: Groesbeek (incl. Millingen and Ubbergen) renamed Berg en Dal; Gooise Meren formed
    ("2016-01-01", "0241", "Groesbeek", "1945"),
    ("2016-01-01", "0381", "Bussum", "1942"),
    ("2016-01-01", "0424", "Muiden", "1942"),
    ("2016-01-01", "0425", "Naarden", "1942"),
    # 2017-01-01 (CBS via RD, "Bijna 240 gemeenten minder in twintig jaar")
    ("2017-01-01", "0844", "Schijndel", "1948"),
    ("2017-01-01", "0846", "Sint-Oedenrode", "1948"),
    ("2017-01-01", "0860", "Veghel", "1948"),
    # 2018-01-01 (VNG, "Hoeveel gemeenten zijn er per 2018")
    ("2018-01-01", "0196", "Rijnwaarden", "0299"),
    ("2018-01-01", "0007", "Bellingwedde", "1950"),
    ("2018-01-01", "0048", "Vlagtwedde", "1950"),
    ("2018-01-01", "0018", "Hoogezand-Sappemeer", "1952"),
    ("2018-01-01", "1987", "Menterwolde", "1952"),
    ("2018-01-01", "0040", "Slochteren", "1952"),
    ("2018-01-01", "0081", "Leeuwarderadeel", "0080"),
    ("2018-01-01", "0070", "Franekeradeel", "1949"),
    ("2018-01-01", "0063", "het Bildt", "1949"),
    ("2018-01-01", "1908", "Menameradiel", "1949"),
    # 2019-01-01 (CBS via Blik op nieuws / Trouw / NOS / Telegraaf: twelve reorganisations, 37 municipalities)
    ("2019-01-01", "0058", "Dongeradeel", "1970"),
    ("2019-01-01", "1722", "Ferwerderadiel", "1970"),
    ("2019-01-01", "0079", "Kollumerland en Nieuwkruisland", "1970"),
    ("2019-01-01", "0236", "Geldermalsen", "1960"),
    ("2019-01-01", "0733", "Lingewaal", "1960"),
    ("2019-01-01", "0304", "Neerijnen", "1960"),
    ("2019-01-01", "0545", "Leerdam", "1961"),
    ("2019-01-01", "0620", "Vianen", "1961"),
    ("2019-01-01", "0707", "Zederik", "1961"),
    ("2019-01-01", "0585", "Binnenmaas", "1963"),
    ("2019-01-01", "0611", "Cromstrijen", "1963"),
    ("2019-01-01", "0588", "Korendijk", "1963"),
    ("2019-01-01", "0584", "Oud-Beijerland", "1963"),
    ("2019-01-01", "0617", "Strijen", "1963"),
    ("2019-01-01", "0689", "Giessenlanden", "1978"),
    ("2019-01-01", "1927", "Molenwaard", "1978"),
    ("2019-01-01", "0738", "Aalburg", "1959"),
    ("2019-01-01", "0870", "Werkendam", "1959"),
    ("2019-01-01", "0874", "Woudrichem", "1959"),
    ("2019-01-01", "0951", "Nuth", "1954"),
    ("2019-01-01", "0881", "Onderbanken", "1954"),
    ("2019-01-01", "0962", "Schinnen", "1954"),
    ("2019-01-01", "0005", "Bedum", "1966"),
    ("2019-01-01", "1663", "De Marne", "1966"),
    ("2019-01-01", "1651", "Eemsmond", "1966"),
    ("2019-01-01", "0015", "Grootegast", "1969"),
    ("2019-01-01", "0022", "Leek", "1969"),
    ("2019-01-01", "0025", "Marum", "1969"),
    ("2019-01-01", "0056", "Zuidhorn", "1969"),
    ("2019-01-01", "0017", "Haren", "0014"),
    ("2019-01-01", "0009", "Ten Boer", "0014"),
    ("2019-01-01", "0393", "Haarlemmerliede en Spaarnwoude", "0394"),
    ("2019-01-01", "0576", "Noordwijkerhout", "0575"),
    # 2021-01-01 (CBS via ANP, "Nederland heeft 3 gemeenten minder in 2021")
    ("2021-01-01", "0003", "Appingedam", "1979"),
    ("2021-01-01", "0010", "Delfzijl", "1979"),
    ("2021-01-01", "0024", "Loppersum", "1979"),
    # 2022-01-01 and 2022-03-24 (CBS via Nederlands Dagblad, "Nederland heeft 7 gemeenten minder in 2022")
    ("2022-01-01", "0756", "Boxmeer", "1982"),
    ("2022-01-01", "1684", "Cuijk", "1982"),
    ("2022-01-01", "0786", "Grave", "1982"),
    ("2022-01-01", "0815", "Mill en Sint Hubert", "1982"),
    ("2022-01-01", "1702", "Sint Anthonis", "1982"),
    ("2022-01-01", "1685", "Landerd", "1991"),
    ("2022-01-01", "0856", "Uden", "1991"),
    ("2022-01-01", "0398", "Heerhugowaard", "1980"),
    ("2022-01-01", "0416", "Langedijk", "1980"),
    ("2022-01-01", "0370", "Beemster", "0439"),
    ("2022-03-24", "0457", "Weesp", "0363"),
    # 2023-01-01 (AD, "Stad en platteland in een gemeente Voorne")
    ("2023-01-01", "0501", "Brielle", "1992"),
    ("2023-01-01", "0530", "Hellevoetsluis", "1992"),
    ("2023-01-01", "0614", "Westvoorne", "1992"),
)
#: Names of codes that are the target of a change but disappeared later themselves (not in the 2024 file).
HERINDELING_INTERMEDIATE_NAMES: dict[str, str] = {"0241": "Groesbeek"}

#: BRIN -> (text that must occur in the DUO name, case-insensitive; pilot code or "" for none).
#: Names in the output are taken from Dec_instellingscode.asc. Every BRIN must be open, or closed
#: on or after 2018-01-01 (the pilots ran 2018-2020).
INSTELLINGEN: dict[str, tuple[str, str]] = {
    # IJV
    "25PJ": ("Deltion", "IJV"),
    "30LY": ("Deltion", "IJV"),
    "01AA": ("Landstede", "IJV"),
    "30LT": ("Landstede", "IJV"),
    # AMS
    "25PZ": ("ROC van Amsterdam", "AMS"),
    "30MD": ("ROC van Amsterdam", "AMS"),
    "25RA": ("Regio College", "AMS"),
    "30TC": ("Regio College", "AMS"),
    # RIJ
    "25LN": ("mboRijnland", "RIJ"),
    # ZOD
    "25PW": ("Drenthe College", "ZOD"),
    "30ME": ("Drenthe College", "ZOD"),
    "01NJ": ("Terra", "ZOD"),
    # RIV
    "04CY": ("Rivor", "RIV"),
    # FRN
    "25LG": ("Friesland College", "FRN"),
    "30NX": ("Friesland College", "FRN"),
    # comparison group (no pilot)
    "00GT": ("Albeda", ""),
    "25LP": ("Zadkine", ""),
    "30RN": ("MBO Utrecht", ""),
    "25LH": ("ROC Midden Nederland", ""),
}
EARLIEST_CLOSING = "20180101"

#: MBO crebo codes for the synthetic data generator. Names and the level come from
#: Dec_vooropl.asc: the level is derived from the programme type in brackets at the end of the
#: name (see LEVEL_BY_TYPE); a name containing "Entree" is level 1.
OPLEIDINGEN: tuple[str, ...] = (
    # entree (level 1): qualifications of the 2016 and later entree dossiers
    "25250", "25251", "25252", "25253", "25254", "25255", "25256", "25257", "25258",
    "25657", "25740", "25741", "25742", "25743", "25744", "25745", "25746", "25747", "25748",
    # level 2 (basisberoepsopleiding)
    "25030", "25103", "25128", "25149", "25150", "25167", "25168", "25178", "25180", "25192",
    "25231", "25242", "25290", "25333", "25364", "25371", "25400", "25407", "25448", "25452",
    "25498", "25499", "25500",
    # level 3 (vakopleiding)
    "25134", "25153", "25171", "25182", "25332", "25372", "25399", "25450", "25475", "25486",
    "25491",
    # level 4 (middenkaderopleiding)
    "25138", "25162", "25471", "25473", "25477", "25480", "25485", "25574", "25604", "25615",
)
LEVEL_BY_TYPE = {
    "assistentenopleiding": 1,
    "basisberoepsopleiding": 2,
    "vakopleiding": 3,
    "middenkaderopleiding": 4,
    "specialistenopleiding": 4,
}

# --------------------------------------------------------------------------------------------
# DUO fixed-width readers (positions are 1-based in the Bestandsbeschrijving)
# --------------------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("latin-1")
    return [line for line in text.splitlines() if line.strip()]


def _field(line: str, start: int, length: int) -> str:
    return line[start - 1 : start - 1 + length].strip()


def read_instellingen(duo: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for line in _lines(duo / "Dec_instellingscode.asc"):
        brin = _field(line, 1, 4)
        out[brin] = {
            "naam": _field(line, 5, 30),
            "plaats": _field(line, 39, 24),
            "oprichting": _field(line, 63, 8),
            "opheffing": _field(line, 71, 8),
        }
    return out


def read_postcodes(duo: Path) -> list[tuple[str, str, str, str]]:
    """(pc4, postbus J/N, gemeentecode, gemeentenaam) for every real 4-digit postcode."""
    rows = []
    for line in _lines(duo / "Dec_postcodecijfers_2024.asc"):
        pc4 = _field(line, 1, 4)
        if not re.fullmatch(r"[1-9]\d{3}", pc4):
            continue  # 9999 unknown, 0010-0040 abroad / no fixed address
        rows.append((pc4, _field(line, 5, 1), _field(line, 6, 4), _field(line, 10, 36)))
    return rows


def read_vooropl(duo: Path) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for line in _lines(duo / "Dec_vooropl.asc"):
        out[_field(line, 1, 5)] = (_field(line, 6, 3), _field(line, 9, 180))
    return out


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def build_gemeenten(duo: Path) -> list[list[str]]:
    names: dict[str, str] = {}
    for _pc4, _postbus, code, naam in read_postcodes(duo):
        names.setdefault(code, naam)
    rows = []
    for code, (expected, rmc, amr) in GEMEENTE_REGIO.items():
        if code not in names:
            raise SystemExit(f"gemeente {code} ({expected}) not in Dec_postcodecijfers_2024.asc")
        if names[code] != expected:
            raise SystemExit(f"gemeente {code}: DUO name {names[code]!r}, curated {expected!r}")
        rows.append([f"GM{code}", names[code], rmc, RMC_REGIONS[rmc], amr])
    return sorted(rows)


def build_herindelingen(duo: Path) -> list[list[str]]:
    names: dict[str, str] = {}
    for _pc4, _postbus, code, naam in read_postcodes(duo):
        names.setdefault(code, naam)
    old_codes = [old for _d, old, _n, _new in HERINDELINGEN]
    if len(set(old_codes)) != len(old_codes):
        raise SystemExit("a municipality code disappears twice in HERINDELINGEN")
    rows = []
    for date, old, old_name, new in HERINDELINGEN:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) or date < "2015-01-01":
            raise SystemExit(f"herindeling {old}: date {date!r} is not a date since 2015")
        if old in names:
            raise SystemExit(f"herindeling {old} ({old_name}) is still a municipality in Dec_postcodecijfers_2024.asc")
        if new in names:
            new_name = names[new]
        elif new in HERINDELING_INTERMEDIATE_NAMES and new in old_codes:
            new_name = HERINDELING_INTERMEDIATE_NAMES[new]
        else:
            raise SystemExit(f"herindeling {old} -> {new}: {new} is neither a 2024 municipality nor changed later")
        rows.append([f"GM{old}", old_name, f"GM{new}", new_name, date])
    return sorted(rows)


def build_instellingen(duo: Path) -> list[list[str]]:
    pilots = {p for p, _, _ in PILOTS}
    table = read_instellingen(duo)
    rows = []
    for brin, (must_contain, pilot) in INSTELLINGEN.items():
        if brin not in table:
            raise SystemExit(f"BRIN {brin} not in Dec_instellingscode.asc")
        rec = table[brin]
        if must_contain.lower() not in rec["naam"].lower():
            raise SystemExit(f"BRIN {brin}: DUO name {rec['naam']!r} lacks {must_contain!r}")
        if rec["opheffing"] and rec["opheffing"] < EARLIEST_CLOSING:
            raise SystemExit(f"BRIN {brin} closed on {rec['opheffing']}, before the pilots")
        if pilot and pilot not in pilots:
            raise SystemExit(f"BRIN {brin}: unknown pilot {pilot}")
        rows.append([brin, rec["naam"], pilot])
    return sorted(rows)


def build_pilots() -> list[list[str]]:
    return sorted([list(p) for p in PILOTS])


def build_postcodes(duo: Path) -> list[list[str]]:
    wanted = set(GEMEENTE_REGIO)
    # Post-office-box-only PC4s (Postbus = J) are left out: nobody lives there.
    rows = [[pc4, f"GM{code}"] for pc4, postbus, code, _ in read_postcodes(duo)
            if code in wanted and postbus != "J"]
    return sorted(rows)


def opleiding_level(name: str) -> tuple[str, int]:
    """Split a Dec_vooropl MBO name into (programme name, level)."""
    m = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*", name)
    if not m or m.group(2).lower() not in LEVEL_BY_TYPE:
        if "entree" in name.lower():
            return re.sub(r"\s*\([^()]*\)\s*$", "", name), 1
        raise SystemExit(f"cannot derive an MBO level from {name!r}")
    base, kind = m.group(1), m.group(2).lower()
    return base, 1 if "entree" in base.lower() else LEVEL_BY_TYPE[kind]


def build_opleidingen(duo: Path) -> list[list[str]]:
    table = read_vooropl(duo)
    rows = []
    for crebo in OPLEIDINGEN:
        if crebo not in table:
            raise SystemExit(f"crebo {crebo} not in Dec_vooropl.asc")
        sector, name = table[crebo]
        if sector != "MBO":
            raise SystemExit(f"crebo {crebo} is sector {sector}, not MBO")
        base, level = opleiding_level(name)
        rows.append([crebo, base, str(level)])
    if len({r[0] for r in rows}) != len(rows):
        raise SystemExit("duplicate crebo in OPLEIDINGEN")
    return sorted(rows)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

HEADERS = {
    "gemeenten.csv": ["gemeente_code", "gemeente_naam", "rmc_regio_code", "rmc_regio_naam",
                      "arbeidsmarktregio"],
    "instellingen.csv": ["brin", "naam", "pilot"],
    "pilots.csv": ["pilot", "naam", "doelgroep"],
    "gemeente_herindelingen.csv": ["oude_gemeente_code", "oude_gemeente_naam", "nieuwe_gemeente_code",
                                   "nieuwe_gemeente_naam", "datum_herindeling"],
    "postcodes.csv": ["pc4", "gemeente_code"],
    "opleidingen.csv": ["crebo", "naam", "niveau"],
}


def write_csv(path: Path, rows: list[list[str]]) -> None:
    header = HEADERS[path.name]
    lines = [SEP.join(header)]
    for row in rows:
        if len(row) != len(header):
            raise SystemExit(f"{path.name}: row {row} does not match header")
        for value in row:
            if SEP in value or "\n" in value or "\r" in value or '"' in value:
                raise SystemExit(f"{path.name}: value {value!r} needs quoting; not allowed")
        lines.append(SEP.join(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def build(duo: Path, out: Path, synthetic_out: Path) -> dict[str, int]:
    outputs = {
        out / "gemeenten.csv": build_gemeenten(duo),
        out / "instellingen.csv": build_instellingen(duo),
        out / "pilots.csv": build_pilots(),
        out / "gemeente_herindelingen.csv": build_herindelingen(duo),
        synthetic_out / "postcodes.csv": build_postcodes(duo),
        synthetic_out / "opleidingen.csv": build_opleidingen(duo),
    }
    for path, rows in outputs.items():
        write_csv(path, rows)
    return {str(path): len(rows) for path, rows in outputs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duo", type=Path, default=DEFAULT_DUO,
                        help="folder with the DUO Dec files (default: reference-data/duo)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="reference folder to write (default: soepel_etl/reference/data)")
    parser.add_argument("--synthetic-out", type=Path, default=DEFAULT_SYNTHETIC_OUT,
                        help="folder for postcodes.csv and opleidingen.csv "
                             "(default: soepel_etl/synthetic/data)")
    args = parser.parse_args(argv)
    for path, n in build(args.duo, args.out, args.synthetic_out).items():
        print(f"{n:6d} rows  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
