-- model: core/enrolments
-- inputs: staging/onderwijs, reference/instellingen, reference/gemeenten
-- keep: person_key, person_id, brin, enrolment_id, enrolment_start, enrolment_end, pilot_code, crebo, niveau,
--       leerweg, diploma, rmc_region_code
-- core/enrolments: the current version of every enrolment (later delivery wins per brin +
-- inschrijving_id; withdrawn enrolments, mutatie V, are gone), with the pilot of its institution
-- and the RMC region of its municipality ('-' when not in the reference). municipality_code stays the
-- code as delivered; the region is that of today's municipality (a code that disappeared in a
-- reorganisation maps to its successor's region, reference.region_of_sql via ref_gemeenten).
SELECT
    e.person_key, e.identifier_type, e.brin, e.enrolment_id, e.crebo, e.programme_name,
    e.niveau, e.leerweg, e.enrolment_start, e.enrolment_end, e.diploma, e.diploma_date,
    e.leaving_reason, e.birth_month, e.sex, e.postcode4, e.municipality_code,
    coalesce(i.pilot, no_code()) AS pilot_code,
    coalesce(g.rmc_regio_code, no_code()) AS rmc_region_code,
    e.delivery_date, e.file_name, e.load_id, e.person_id
FROM current_onderwijs AS e
LEFT JOIN ref_instellingen AS i ON i.brin = e.brin
LEFT JOIN ref_gemeenten AS g ON g.gemeente_code = e.municipality_code
