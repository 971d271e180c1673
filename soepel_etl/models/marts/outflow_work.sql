-- model: marts/outflow_work
-- inputs: core/enrolments, staging/werk, national/sbi_secties
-- built: per person range
-- marts/outflow_work: what kind of work an outflow has 12 and 24 months on (definitions.md, "Work
-- after outflow"). For horizon k and m = u+k, W(m) is the current versions of the person's werk
-- records for m with uren > 0 (the later delivery wins per person, employer and month, so a month
-- restated to zero hours does not count). The main job is the record of W(m) with the most uren;
-- ties: the higher sv_loon (empty lowest), then the lower employer_key. Every column is null when
-- the month it reads is not observed.
-- Sums and roundings are decimal, as the spec has them: staging holds uren and sv_loon as DOUBLE, so
-- each is taken back to its delivered decimal (DECIMAL(38,10)) before summing, rounded half away from
-- zero to cents, and hourly_wage divides the rounded cents exactly (integer arithmetic): rounding
-- binary doubles puts 1000.005 at 1000.00 and 26.75 / 10 at 2.67 where the spec has 1000.01 and 2.68.
WITH outflows AS (
    SELECT person_key, person_id, enrolment_end AS outflow_date, brin, enrolment_id AS inschrijving_id,
           year(enrolment_end) AS cohort, pilot_code, niveau, diploma, month_index(enrolment_end) AS u
    FROM core_enrolments
    WHERE enrolment_end IS NOT NULL AND in_person_range(person_id)
), months_read AS (   -- u+12 and u+19 … u+24 of every outflow of the range
    SELECT DISTINCT person_id, u + k AS month_index
    FROM outflows, (SELECT unnest([12] || range(outcome_window() - durable_months() + 1, outcome_window() + 1)) AS k)
), jobs AS (          -- W(m) for those months
    -- the current version per (person, employer, month): each column from the row of the latest file
    -- (rows of one file are unique per record key, so they all come from that one row); grouped on the
    -- integer surrogates, as core/employment_months does, not on the 64-character employer_key.
    -- employer_key is not read at all: employer_id is its first 15 hex digits as a number, so the
    -- lower employer_id is the lower employer_key, and jobs hold one row per employer_id.
    SELECT *, CAST(hours AS DECIMAL(38, 10)) AS hours_exact, CAST(sv_wage AS DECIMAL(38, 10)) AS wage_exact,
           -- the SBI division: the first two digits of sbi without dots and spaces
           CAST(nullif(regexp_extract(regexp_replace(sbi, '[. ]', '', 'g'), '^([0-9][0-9])', 1), '') AS INTEGER)
               AS sbi_division
    FROM (
        SELECT w.person_id, w.month_index, w.employer_id,
               arg_max_null(w.hours, w.file_rank) AS hours, arg_max_null(w.sv_wage, w.file_rank) AS sv_wage,
               arg_max_null(w.contract_type, w.file_rank) AS contract_type, arg_max_null(w.sbi, w.file_rank) AS sbi
        FROM stg_werk_ranked AS w SEMI JOIN months_read USING (person_id, month_index)
        WHERE in_person_range(w.person_id)
        GROUP BY w.person_id, w.employer_id, w.month_index
    ) WHERE hours > 0
), at_horizon AS (    -- per outflow and horizon: all jobs together, and the main job
    SELECT o.inschrijving_id, o.brin, h.k,
           count(j.hours) > 0 AS employed,
           CAST(round(coalesce(sum(j.hours_exact), 0), 2) * 100 AS HUGEINT) AS hours_cents,
           CASE WHEN count(j.hours) > 0 AND count(j.sv_wage) = count(j.hours)
                THEN CAST(round(sum(j.wage_exact), 2) * 100 AS HUGEINT) END AS wage_cents,
           arg_max_null(coalesce(j.contract_type, 'onbekend'), j.main_job) AS contract,
           arg_max_null(j.sbi_division, j.main_job) AS sbi_division
    FROM outflows AS o
    CROSS JOIN (SELECT unnest([12, 24]) AS k) AS h
    LEFT JOIN (SELECT *,   -- the largest is the main job; a struct compares field by field
                      struct_pack(hours := hours, sv_wage := coalesce(sv_wage, '-Infinity'::DOUBLE),
                                  lower_employer := -employer_id) AS main_job
               FROM jobs) AS j
        ON j.person_id = o.person_id AND j.month_index = o.u + h.k
    GROUP BY o.inschrijving_id, o.brin, h.k
), window_employers AS (   -- an employer with work in every month u+19 … u+24, or in both u+12 and u+24
    SELECT o.inschrijving_id, o.brin,
           bool_or(e.months = durable_months()) AS same_employer_last_months,
           bool_or(e.at_12 AND e.at_24) AS same_employer_12_24
    FROM outflows AS o
    JOIN (SELECT j.person_id, j.employer_id, o2.inschrijving_id, o2.brin,
                 -- jobs are one row per employer and month: a count of rows is a count of months
                 count(*) FILTER (WHERE j.month_index > o2.u + outcome_window() - durable_months())
                     AS months,
                 bool_or(j.month_index = o2.u + 12) AS at_12,
                 bool_or(j.month_index = o2.u + outcome_window()) AS at_24
          FROM jobs AS j JOIN outflows AS o2 USING (person_id)
          WHERE j.month_index = o2.u + 12
             OR (j.month_index > o2.u + outcome_window() - durable_months() AND j.month_index <= o2.u + outcome_window())
          GROUP BY j.person_id, j.employer_id, o2.inschrijving_id, o2.brin, o2.u) AS e USING (inschrijving_id, brin)
    GROUP BY o.inschrijving_id, o.brin
), sections AS (   -- one row per division, so the lookup is an equality join
    SELECT sectie, unnest(range(CAST(divisie_van AS INTEGER), CAST(divisie_tot AS INTEGER) + 1)) AS division
    FROM national_sbi_secties
), wide AS (
    SELECT a.inschrijving_id, a.brin, a.k, a.employed, a.hours_cents / 100 AS hours, a.wage_cents / 100 AS wage,
           -- wage / hours in cents, rounded half away from zero (both are >= 0): floor((200·W + H) / (2·H))
           CASE WHEN a.hours_cents > 0 THEN ((200 * a.wage_cents + a.hours_cents) // (2 * a.hours_cents)) / 100 END
               AS hourly_wage,
           CASE WHEN a.employed THEN a.contract END AS contract,
           CASE WHEN a.employed THEN s.sectie END AS sbi_section
    FROM at_horizon AS a
    LEFT JOIN sections AS s ON s.division = a.sbi_division
)
SELECT o.person_key, o.outflow_date, o.brin, o.inschrijving_id, o.cohort, o.pilot_code, o.niveau, o.diploma,
       CASE WHEN o.u + 12 <= observed_until_index() THEN w12.employed END AS employed_12,
       CASE WHEN o.u + 12 <= observed_until_index() THEN w12.hours END AS hours_12,
       CASE WHEN o.u + 12 <= observed_until_index() THEN hours_band(w12.hours) END AS hours_band_12,
       CASE WHEN o.u + 12 <= observed_until_index() THEN w12.contract END AS contract_12,
       CASE WHEN o.u + 12 <= observed_until_index() THEN w12.wage END AS wage_12,
       CASE WHEN o.u + 12 <= observed_until_index() THEN w12.hourly_wage END AS hourly_wage_12,
       CASE WHEN o.u + 12 <= observed_until_index() THEN w12.sbi_section END AS sbi_section_12,
       CASE WHEN o.u + 24 <= observed_until_index() THEN w24.employed END AS employed_24,
       CASE WHEN o.u + 24 <= observed_until_index() THEN w24.hours END AS hours_24,
       CASE WHEN o.u + 24 <= observed_until_index() THEN hours_band(w24.hours) END AS hours_band_24,
       CASE WHEN o.u + 24 <= observed_until_index() THEN w24.contract END AS contract_24,
       CASE WHEN o.u + 24 <= observed_until_index() THEN w24.wage END AS wage_24,
       CASE WHEN o.u + 24 <= observed_until_index() THEN w24.hourly_wage END AS hourly_wage_24,
       CASE WHEN o.u + 24 <= observed_until_index() THEN w24.sbi_section END AS sbi_section_24,
       CASE WHEN o.u + 24 <= observed_until_index() THEN coalesce(e.same_employer_12_24, false) END
           AS same_employer_12_24,
       CASE WHEN o.u + 24 <= observed_until_index()
            THEN coalesce(e.same_employer_last_months, false) AND w24.hours >= hours_work_min() END AS durable_work_24
FROM outflows AS o
JOIN wide AS w12 ON w12.inschrijving_id = o.inschrijving_id AND w12.brin = o.brin AND w12.k = 12
JOIN wide AS w24 ON w24.inschrijving_id = o.inschrijving_id AND w24.brin = o.brin AND w24.k = 24
LEFT JOIN window_employers AS e ON e.inschrijving_id = o.inschrijving_id AND e.brin = o.brin
