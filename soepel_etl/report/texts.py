"""The report's fixed Dutch texts: notices, caveats and the definitions section (definitions.md)."""

from __future__ import annotations

INTERN_NOTICE = ("Intern document met exacte aantallen. Niet verspreiden buiten de organisatie: "
                 "alleen voor medewerkers van de RMC-functie.")
PUBLIEK_NOTICE = ("Publieksversie. Aantallen onder 10 personen zijn onderdrukt (‘<10’); om terugrekenen te "
                  "voorkomen zijn ook enkele andere cellen onderdrukt.")

QUALITY_INTRO = ("Wat er is aangeleverd, wat is geweigerd en waarom, en welke regels in quarantaine staan. Deze "
                 "tabellen tellen bestanden en regels, geen personen.")
QUALITY_PUBLIEK = (
    "De tabellen over aangeleverde, geweigerde en in quarantaine geplaatste bestanden en regels staan alleen in "
    "de interne versie. Een regel is meestal één persoon (een inschrijving, een maand werk), dus ook die "
    "aantallen vallen onder de regel dat niets onder 10 personen wordt gepubliceerd; ze zijn bedoeld voor wie de "
    "gegevens beheert, niet voor de lezer van de cijfers. Tot welke maand de gegevens zijn waargenomen, staat in "
    "de samenvatting.")

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
     "In de publieksversie is elk aantal onder 10 personen vervangen door ‘<10’, met het bijbehorende "
     "percentage. Ook andere cellen zijn onderdrukt als het aantal anders uit totalen of uit andere tabellen "
     "terug te rekenen zou zijn. Percentages zijn berekend vóór het onderdrukken."),
    ("Privacy",
     "Het rapport bevat geen namen, BSN's, onderwijsnummers of geboortedata; de gegevens zijn bij binnenkomst "
     "gepseudonimiseerd."),
]
