-- model: marts/risk_monitor
-- inputs: core/persons, core/employment_months, core/benefit_spells, core/person_month
-- built: per person range
-- marts/risk_monitor: the 16–27 population at reference month R with every flag (definitions.md),
-- for one range of persons at a time.
--   population: a birth month, aged 16–27 at the last day of R (birth day = 1st of the birth
--               month), latest woongemeente in an RMC region
--   zonder_startkwalificatie: never an enrolment with diploma J at niveau >= 2
--   vsv: zonder_startkwalificatie, not enrolled(R), younger than 23
--   neet_months: consecutive months ending at R with status 'geen' (counted from the person's
--                first enrolment month on: the warehouse does not follow anyone before it)
--   op_uitkering: benefit(R); baanverlies_6m: employed in one of R-6 … R-1 and status(R) geen/uitkering
WITH population AS (
    SELECT person_key, person_id, rmc_region_code, municipality_code, first_month_index, NOT has_startkwalificatie AS zonder_startkwalificatie,
           reference_index() // 12 - CAST(substr(birth_month, 1, 4) AS INTEGER)
             - CASE WHEN reference_index() % 12 + 1 < CAST(substr(birth_month, 6, 2) AS INTEGER) THEN 1 ELSE 0 END AS age
    FROM core_persons
    WHERE birth_month IS NOT NULL AND rmc_region_code <> no_code() AND in_person_range(person_id)
), in_scope AS (
    SELECT * FROM population WHERE age BETWEEN risk_age_min() AND risk_age_max()
), employed_r AS (
    SELECT person_id, bool_or(employed) FILTER (WHERE month_index = reference_index()) AS employed_at_r,
           bool_or(employed) FILTER (WHERE month_index BETWEEN reference_index() - job_loss_lookback()
                                                          AND reference_index() - 1) AS employed_before
    FROM core_employment_months
    WHERE month_index BETWEEN reference_index() - job_loss_lookback() AND reference_index()
    GROUP BY person_id
), benefit_r AS (
    SELECT DISTINCT person_id FROM core_benefit_spells
    WHERE month_index(start_date) <= reference_index()
      AND (end_date IS NULL OR month_index(end_date) >= reference_index())
      AND in_person_range(person_id)
), timeline AS (
    SELECT pm.person_id,
           any_value(status_text(pm.status_code)) FILTER (WHERE pm.month_index = reference_index()) AS status_at_r,
           bool_or(pm.enrolled) FILTER (WHERE pm.month_index = reference_index()) AS enrolled_at_r,
           max(pm.month_index) FILTER (WHERE pm.status_code <> status_code_of('geen')) AS last_not_geen
    FROM core_person_month AS pm           -- nearly everyone is in scope: no semi join, the LEFT JOIN below picks
    WHERE pm.month_index <= reference_index()
    GROUP BY pm.person_id
), flags AS (
    SELECT s.person_key, s.rmc_region_code, s.municipality_code, s.age, s.zonder_startkwalificatie, s.first_month_index,
           coalesce(t.enrolled_at_r, false) AS enrolled_at_r,
           coalesce(e.employed_before, false) AS employed_before,
           b.person_id IS NOT NULL AS op_uitkering,
           -- a person whose first enrolment lies after R has no timeline row at R: same rule, not enrolled
           coalesce(t.status_at_r, status(true, false, false, coalesce(e.employed_at_r, false), b.person_id IS NOT NULL)) AS status_at_r,
           t.last_not_geen
    FROM in_scope AS s
    LEFT JOIN timeline AS t USING (person_id)
    LEFT JOIN employed_r AS e USING (person_id)
    LEFT JOIN benefit_r AS b USING (person_id)
), scored AS (
    SELECT *,
           CASE WHEN status_at_r <> 'geen' THEN 0
                WHEN last_not_geen IS NULL THEN reference_index() - least(first_month_index, reference_index()) + 1
                ELSE reference_index() - last_not_geen END AS neet_months
    FROM flags
)
SELECT reference_month() AS reference_month, person_key, rmc_region_code, age,
       zonder_startkwalificatie,
       zonder_startkwalificatie AND NOT enrolled_at_r AND age < vsv_age_below() AS vsv,
       CAST(neet_months AS INTEGER) AS neet_months,
       neet_months >= neet_months_min() AS neet_3m,
       op_uitkering,
       employed_before AND status_at_r IN ('geen', 'uitkering') AS baanverlies_6m,
       risk_score(zonder_startkwalificatie AND NOT enrolled_at_r, neet_months >= neet_months_min(), op_uitkering,
                  employed_before AND status_at_r IN ('geen', 'uitkering')) AS risk_score,
       risk_level(risk_score) AS risk_level,
       enrolled_at_r, status_at_r, municipality_code
FROM scored
