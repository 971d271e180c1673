"""The report's fixed Dutch texts: notices, caveats and the definitions section (definitions.md)."""

from __future__ import annotations

INTERN_NOTICE = ("Intern document met exacte aantallen. Niet verspreiden buiten de organisatie: "
                 "alleen voor medewerkers van de RMC-functie.")
PUBLIEK_NOTICE = ("Publieksversie. Aantallen van 1 tot en met 9 personen zijn onderdrukt (‘<10’); om terugrekenen "
                  "te voorkomen zijn ook enkele grotere aantallen onderdrukt (‘x’). Een 0 is echt 0.")


def suppression_summary(report) -> list[str]:
    """Plain Dutch: what was hidden and why, in numbers (the per-table figures are under each table)."""
    tables = report.disclosure.get("tables", {})
    primary = sum(t["primary"] for t in tables.values())
    secondary = sum(t["secondary"] for t in tables.values())
    out = [
        "Waarom sommige cijfers ontbreken. Dit is de publieksversie: niemand mag uit het rapport kunnen afleiden "
        "hoe het met één jongere gaat. Daarom staat elk aantal van 1 tot en met 9 personen als ‘<10’. Omdat "
        "zo'n aantal anders terug te rekenen is uit de totalen of uit een andere tabel, zijn ook enkele grotere "
        "aantallen weggelaten; die staan als ‘x’. Ze zijn zo gekozen dat er zo weinig mogelijk personen "
        "verborgen blijven, en zo dat van elk weggelaten aantal met alle cijfers van dit rapport samen hooguit "
        "bekend is dat het tussen twee grenzen ligt die minstens 5 uit elkaar liggen. Een 0 is een echte 0: "
        "die groep is leeg. Percentages staan alleen bij aantallen die getoond worden.",
        f"In dit rapport zijn {primary} aantallen onder 10 onderdrukt en {secondary} grotere aantallen ter "
        "bescherming. Onder elke tabel staat hoeveel cellen daar ontbreken en hoeveel personen die samen tellen.",
    ]
    if report.disclosure.get("withheld"):
        out.append(f"Van {len(report.disclosure['withheld'])} rij(en) of tabel(len) waren de aantallen zo klein dat "
                   "ze ook met extra onderdrukte cellen niet te beschermen waren; die zijn weggelaten. Onder de tabel "
                   "of bij het onderdeel staat welke.")
    return out


def table_suppression_note(stats: dict) -> str:
    """Under a table: how many cells it hides and how many persons they count together."""
    if not stats or not (stats["primary"] or stats["secondary"]):
        return "Geen cijfers onderdrukt in deze tabel."
    parts = []
    if stats["primary"]:
        parts.append(f"{stats['primary']} met 1 tot en met 9 personen (‘<10’)")
    if stats["secondary"]:
        parts.append(f"{stats['secondary']} met 10 of meer personen ter bescherming (‘x’)")
    return (f"Onderdrukt in deze tabel: {' en '.join(parts)}; samen {stats['persons']} personen "
            "(een persoon telt mee in elke cel waarin hij valt, ook in een totaal).")

WORK_INTRO = (
    "Wat voor werk hebben jongeren 12 en 24 maanden na hun uitstroom: hoeveel uur, met welk contract, voor welk "
    "loon en in welke sector, en blijven ze bij hun werkgever? De pilots streven naar een gewone "
    "arbeidsrelatie twee jaar na school en naar werkbehoud. Uitstromers van wie die maand nog niet is "
    "waargenomen, staan als ‘nog onbekend’; tabellen met zulke cohorten zijn gemarkeerd als voorlopig. De "
    "lonen staan naast het wettelijk minimum(jeugd)loon voor 18 tot en met 21 jaar, de leeftijd van de meeste "
    "jongeren een of twee jaar na het mbo.")
WORK_PUBLIEK = (
    "Lonen in deze publieksversie: een percentiel staat er alleen als het op minstens 20 uitstromers berust, "
    "afgerond op 10 euro; anders staat er ‘x’.")

QUALITY_INTRO = ("Wat er is aangeleverd, wat is geweigerd en waarom, en welke regels in quarantaine staan. Deze "
                 "tabellen tellen bestanden en regels, geen personen.")
QUALITY_PUBLIEK = (
    "De tabellen over aangeleverde, geweigerde en in quarantaine geplaatste bestanden en regels staan alleen in "
    "de interne versie. Een regel is meestal één persoon (een inschrijving, een maand werk), dus ook die "
    "aantallen vallen onder de regel dat niets onder 10 personen wordt gepubliceerd; ze zijn bedoeld voor wie de "
    "gegevens beheert, niet voor de lezer van de cijfers. Tot welke maand de gegevens zijn waargenomen, staat in "
    "de samenvatting; tot welke maand de werkgegevens van elke gemeente reiken, staat hieronder.")

PARTICIPATION_CAVEAT = (
    "Let op: deelnemers en niet-deelnemers verschillen in wie ze zijn. Jongeren worden niet door loting "
    "ingedeeld; wie ondersteuning krijgt, had die vaak juist nodig, en de vergelijkingsgroep bevat ook "
    "uitstromers van instellingen buiten de pilots. Verschillen in uitkomsten zijn daarom geen effect van "
    "de pilot.")

DEFINITIONS = [
    ("Uitstroom en cohort",
     "Een uitstroom is een inschrijving in het mbo met een datum van uitschrijving. Het cohort is het "
     "kalenderjaar van die datum (het uitstroomjaar). Wie twee keer uitstroomt (bijvoorbeeld uit entree en later "
     "uit niveau 2), telt twee keer mee: één keer per uitstroom."),
    ("Opleiding",
     "Entree is niveau 1. Niveau 2 bol is de schoolse leerweg, niveau 2 bbl de beroepsbegeleidende leerweg "
     "(werken en leren). ‘Niveau 3 en 4’ zijn de hogere niveaus."),
    ("Situatie in een maand",
     "Voor elke maand krijgt een jongere één situatie, de eerste die van toepassing is: nog onbekend (de maand "
     "is nog niet waargenomen), werkend leren (ingeschreven in een bbl-opleiding), onderwijs (ingeschreven in "
     "een andere opleiding), werk (in die maand betaalde uren), uitkering (een uitkering loopt in die maand), "
     "of geen van deze: geen werk, school of uitkering."),
    ("Waargenomen maand",
     "Een maand is waargenomen als zowel de werkgegevens als de onderwijsgegevens tot en met die maand binnen "
     "zijn. Werkgegevens komen met vertraging; latere maanden heten ‘nog onbekend’."),
    ("Situatie na 6, 12 en 24 maanden",
     "De situatie in de 6e, 12e of 24e maand na de maand van uitstroom."),
    ("Duurzame bestemming",
     "In minstens 5 van de 6 maanden 19 tot en met 24 na uitstroom aan het werk, in onderwijs of werkend "
     "lerend (naar de Britse ‘destination measures’). ‘Nog onbekend’ als een van die maanden nog niet is "
     "waargenomen."),
    ("Duurzaam werk",
     "Hetzelfde, maar alleen werk of werkend leren telt mee."),
    ("Definitief en voorlopig",
     "Een uitkomst is definitief als de 24e maand na uitstroom is waargenomen. Voorlopige cijfers veranderen "
     "nog als er gegevens binnenkomen; definitieve niet. Cohorten met voorlopige cijfers staan gemarkeerd."),
    ("Werk na 12 en 24 maanden",
     "Met werk: in de 12e of 24e maand na uitstroom betaalde uren bij minstens één werkgever (een maand die later "
     "op nul uur is gezet, telt niet). Uren per week: minder dan 12 (minder dan 52 uur per maand), 12 tot 35, of 35 "
     "of meer (152 uur per maand of meer), alle banen samen. Het contract en de sector zijn die van de hoofdbaan: "
     "de baan met de meeste uren in die maand."),
    ("Duurzaam werk bij één werkgever",
     "In elk van de maanden 19 tot en met 24 na uitstroom uren bij dezelfde werkgever, en in maand 24 minstens 12 "
     "uur per week werk. Dezelfde werkgever: in de 12e én de 24e maand uren bij dezelfde werkgever."),
    ("Loon",
     "Het SV-loon van alle banen samen in die maand, als het van elke baan is aangeleverd. Percentielen naar "
     "rangnummer: van n lonen van laag naar hoog is het p-de percentiel het loon op plaats p·n/100, naar boven "
     "afgerond. Wie twee keer uitstroomt, telt twee keer mee. In de publieksversie staat een percentiel alleen "
     "als het op minstens 20 uitstromers berust, afgerond op 10 euro."),
    ("Deelname aan de pilot",
     "In beeld: gevolgd, niet benaderd. Geïnformeerd: geïnformeerd over ondersteuning. Ondersteund: minstens "
     "één interventie gekregen. Alleen met geldige toestemming (gegeven, en niet ingetrokken op de peildatum); "
     "anders geldt de uitstroom als ‘geen deelnemer’."),
    ("Interventies",
     "Door de pilot geregistreerde ondersteuning, zoals een loopbaangesprek of een jobcoach. Alleen van "
     "deelnemers met geldige toestemming."),
    ("Risicomonitor 16–27 jaar",
     "Jongeren van 16 tot en met 27 jaar op de laatste dag van de peilmaand, die wonen in een gemeente van een "
     "RMC-regio. De peilmaand is de laatste maand die voor iedereen is waargenomen."),
    ("Zonder startkwalificatie",
     "Nooit een diploma behaald op niveau 2 of hoger."),
    ("Voortijdig schoolverlater (vsv)",
     "Zonder startkwalificatie, niet ingeschreven in de peilmaand en jonger dan 23 jaar."),
    ("3 maanden of langer geen werk, school of uitkering",
     "De peilmaand en de twee maanden ervoor (of langer) zonder werk, school of uitkering."),
    ("Baan verloren",
     "In een van de 6 maanden voor de peilmaand gewerkt, en in de peilmaand zonder werk of school "
     "(wel of geen uitkering)."),
    ("Risiconiveau",
     "Het aantal van deze signalen: zonder startkwalificatie en niet ingeschreven; 3 maanden of langer geen "
     "werk, school of uitkering; met uitkering; baan verloren. Hoog risico: 2 of meer; verhoogd: 1; laag: 0."),
    ("Onderdrukte cijfers",
     "In de publieksversie is elk aantal van 1 tot en met 9 personen vervangen door ‘<10’, met het "
     "bijbehorende percentage. Grotere aantallen zijn vervangen door ‘x’ als een ‘<10’ anders uit totalen of "
     "uit andere tabellen terug te rekenen zou zijn: met alle cijfers van het rapport samen ligt elk weggelaten "
     "aantal tussen grenzen die minstens 5 uit elkaar liggen. Een 0 is een echte 0. Percentages zijn berekend "
     "vóór het onderdrukken."),
    ("Privacy",
     "Het rapport bevat geen namen, BSN's, onderwijsnummers of geboortedata; de gegevens zijn bij binnenkomst "
     "gepseudonimiseerd."),
]
