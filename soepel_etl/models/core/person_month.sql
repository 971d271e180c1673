-- core/person_month: one row per person and month, from the person's first enrolment month until
-- the later coverage month, with every monthly flag and the status by the spec's priority.
--   enrolled(m): an enrolment overlaps m by a day (start month <= m, end empty or end month >= m)
--   bbl(m):      such an enrolment is BBL
--   employed(m): hours over all employers in m add up to more than 0
--   benefit(m):  a benefit spell overlaps m
--   observed(m): m <= both coverage months
WITH grid AS (
    SELECT person_key, unnest(generate_series(first_month_index, ${last_month_index})) AS m
    FROM core_persons
), enrolment_months AS (
    SELECT person_key, m, bool_or(leerweg = 'BBL') AS bbl
    FROM (
        SELECT person_key, leerweg,
               unnest(generate_series(${enrolment_start_index},
                      least(coalesce(${enrolment_end_index}, ${last_month_index}), ${last_month_index}))) AS m
        FROM core_enrolments
    )
    GROUP BY person_key, m
), employment AS (
    SELECT person_key, ${employment_month_index} AS m, hours
    FROM core_employment_months
), benefit_months AS (
    SELECT DISTINCT person_key, m
    FROM (
        SELECT person_key,
               unnest(generate_series(${benefit_start_index},
                      least(coalesce(${benefit_end_index}, ${last_month_index}), ${last_month_index}))) AS m
        FROM core_benefit_spells
    )
), flags AS (
    SELECT g.person_key, g.m,
           e.person_key IS NOT NULL AS enrolled,
           coalesce(e.bbl, false) AS bbl,
           coalesce(w.hours, 0) > 0 AS employed,
           coalesce(w.hours, 0) AS hours,
           b.person_key IS NOT NULL AS benefit,
           g.m <= ${observed_until_index} AS observed
    FROM grid AS g
    LEFT JOIN enrolment_months AS e USING (person_key, m)
    LEFT JOIN employment AS w USING (person_key, m)
    LEFT JOIN benefit_months AS b USING (person_key, m)
)
SELECT person_key, ${month_text} AS month, ${status} AS status,
       enrolled, bbl, employed, hours, benefit, observed, m AS month_index
FROM flags
