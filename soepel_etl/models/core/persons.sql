-- model: core/persons
-- inputs: core/enrolments, reference/gemeenten
-- after: check_person_ids
-- core/persons: one row per person with an enrolment. The latest woongemeente (and birth month)
-- is the one on the current enrolment with the latest datum_inschrijving; ties go to the later
-- delivery date, then the higher brin, then the higher inschrijving_id (definitions.md).
-- The timeline (core/person_month) runs from first_month to the later coverage month.
-- municipality_code is today's code of that woongemeente (gemeente_herindelingen.csv, through
-- ref_gemeenten): a 2018 code of a municipality that has since merged counts as the merged one, as
-- its rmc_region_code (core/enrolments) already does.
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY person_id
        ORDER BY enrolment_start DESC, delivery_date DESC, brin DESC, enrolment_id DESC) AS rank
    FROM core_enrolments
), summary AS (
    SELECT person_id,
           min(month_index(enrolment_start)) AS first_month_index,
           bool_or(diploma AND niveau >= 2) AS has_startkwalificatie,
           count(*) AS enrolments
    FROM core_enrolments
    GROUP BY person_id
)
SELECT r.person_id, r.person_key, r.identifier_type, r.birth_month, r.sex,
       coalesce(g.huidige_gemeente_code, r.municipality_code) AS municipality_code, r.rmc_region_code,
       s.first_month_index, month_text(s.first_month_index) AS first_month,
       s.has_startkwalificatie, s.enrolments
FROM ranked AS r JOIN summary AS s USING (person_id)
LEFT JOIN ref_gemeenten AS g ON g.gemeente_code = r.municipality_code
WHERE r.rank = 1
