-- core/person_month: one row per person and month, from the person's first enrolment month until
-- the later coverage month, with every monthly flag and the status by the spec's priority.
--   enrolled(m): an enrolment overlaps m by a day (start month <= m, end empty or end month >= m)
--   bbl(m):      such an enrolment is BBL
--   employed(m): hours over all employers in m add up to more than 0
--   benefit(m):  a benefit spell overlaps m
--   observed(m): m <= both coverage months
-- Joins run on integers (person_id, month index); the pseudonym is attached once at the end.
WITH grid AS (
    SELECT person_id, unnest(generate_series(first_month_index, ${last_month_index})) AS m
    FROM core_persons
), enrolment_months AS (
    SELECT person_id, m, bool_or(leerweg = 'BBL') AS bbl
    FROM (
        SELECT ${enrolment_person_id} AS person_id, leerweg,
               unnest(generate_series(${enrolment_start_index},
                      least(coalesce(${enrolment_end_index}, ${last_month_index}), ${last_month_index}))) AS m
        FROM core_enrolments
    )
    GROUP BY person_id, m
), benefit_months AS (
    SELECT DISTINCT person_id, m
    FROM (
        SELECT ${benefit_person_id} AS person_id,
               unnest(generate_series(${benefit_start_index},
                      least(coalesce(${benefit_end_index}, ${last_month_index}), ${last_month_index}))) AS m
        FROM core_benefit_spells
    )
), flags AS (
    SELECT g.person_id, g.m,
           e.person_id IS NOT NULL AS enrolled,
           coalesce(e.bbl, false) AS bbl,
           coalesce(w.hours, 0) > 0 AS employed,
           coalesce(w.hours, 0) AS hours,
           b.person_id IS NOT NULL AS benefit,
           g.m <= ${observed_until_index} AS observed
    FROM grid AS g
    LEFT JOIN enrolment_months AS e USING (person_id, m)
    LEFT JOIN (SELECT person_id, month_index AS m, hours FROM core_employment_months) AS w USING (person_id, m)
    LEFT JOIN benefit_months AS b USING (person_id, m)
)
SELECT p.person_key, ${month_text} AS month, ${status} AS status,
       f.enrolled, f.bbl, f.employed, f.hours, f.benefit, f.observed, f.m AS month_index, f.person_id
FROM flags AS f JOIN core_persons AS p USING (person_id)
