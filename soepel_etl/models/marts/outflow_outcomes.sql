-- model: marts/outflow_outcomes
-- inputs: core/enrolments, core/participants, core/person_month
-- built: per person range
-- marts/outflow_outcomes: one row per outflow (an enrolment with a datum_uitschrijving), for one
-- range of persons at a time.
-- u = the outflow month; status_k = the status in month u+k; months_<status>_24 count u+1 … u+24;
-- sustained_*_24 need at least 5 of the 6 months u+19 … u+24 active (unknown when any of them is
-- 'onbekend'); final_k = month u+k is observed; statuses_24 lists the status of every month
-- u+1 … u+24 (the path). Months after the last timeline month have no person_month row and count
-- as 'onbekend' (definitions.md); a timeline has no gaps, so they are the tail of the window.
WITH outflows AS (
    SELECT e.person_key, e.person_id, e.brin, e.enrolment_id, e.enrolment_end AS outflow_date,
           month_index(e.enrolment_end) AS u,
           year(e.enrolment_end) AS cohort, e.pilot_code, e.crebo, e.niveau, e.leerweg, e.diploma,
           e.rmc_region_code,
           coalesce(p.participation_type, no_registration()) AS participation_type
    FROM core_enrolments AS e
    LEFT JOIN core_participants AS p
        ON p.person_id = e.person_id AND p.person_key = e.person_key AND p.pilot_code = e.pilot_code
       AND p.consent_valid
    WHERE e.enrolment_end IS NOT NULL AND in_person_range(e.person_id)
), window_codes AS (
    -- the status codes of u+1 … u+24, 3 bits each, packed into two integers (months 1-12, 13-24);
    -- a month without a person_month row stays 0, which is 'onbekend'
    SELECT o.brin, o.enrolment_id,
           sum(CASE WHEN pm.month_index - o.u <= 12
                    THEN CAST(pm.status_code AS BIGINT) << (3 * (pm.month_index - o.u - 1)) END) AS first_12,
           sum(CASE WHEN pm.month_index - o.u > 12
                    THEN CAST(pm.status_code AS BIGINT) << (3 * (pm.month_index - o.u - 13)) END) AS last_12
    FROM outflows AS o
    JOIN core_person_month AS pm
        ON pm.person_id = o.person_id AND pm.month_index BETWEEN o.u + 1 AND o.u + outcome_window()
    GROUP BY o.brin, o.enrolment_id
), window_path AS (
    SELECT o.*,
           list_transform(range(outcome_window()), lambda i: CAST(CASE WHEN i < 12 THEN (coalesce(w.first_12, 0) >> (3 * i)) & 7
                                                            ELSE (coalesce(w.last_12, 0) >> (3 * (i - 12))) & 7 END
                                                       AS INTEGER)) AS codes
    FROM outflows AS o LEFT JOIN window_codes AS w USING (brin, enrolment_id)
), filled AS (
    SELECT *,
           status_text(codes[6]) AS status_6,
           status_text(codes[12]) AS status_12,
           status_text(codes[24]) AS status_24,
           list_count(list_filter(codes, lambda c: c = status_code_of('onbekend'))) AS months_onbekend_24,
           list_count(list_filter(codes, lambda c: c = status_code_of('werkend_lerend'))) AS months_werkend_lerend_24,
           list_count(list_filter(codes, lambda c: c = status_code_of('onderwijs'))) AS months_onderwijs_24,
           list_count(list_filter(codes, lambda c: c = status_code_of('werk'))) AS months_werk_24,
           list_count(list_filter(codes, lambda c: c = status_code_of('uitkering'))) AS months_uitkering_24,
           list_count(list_filter(codes, lambda c: c = status_code_of('geen'))) AS months_geen_24,
           list_count(list_filter(codes[outcome_window() - sustained_last() + 1:], lambda c: c = status_code_of('onbekend'))) AS last6_unknown,
           list_count(list_filter(codes[outcome_window() - sustained_last() + 1:], lambda c: list_contains(active_status_codes(), c))) AS last6_active,
           list_count(list_filter(codes[outcome_window() - sustained_last() + 1:], lambda c: list_contains(work_status_codes(), c))) AS last6_work,
           list_transform(codes, lambda c: status_text(c)) AS statuses_24
    FROM window_path
)
SELECT person_key, outflow_date, month_text(u) AS outflow_month, cohort, pilot_code,
       brin, crebo, niveau, leerweg, diploma, participation_type, rmc_region_code,
       status_6, status_12, status_24,
       months_werk_24, months_onderwijs_24, months_werkend_lerend_24, months_uitkering_24, months_geen_24,
       months_onbekend_24,
       CASE WHEN last6_unknown > 0 THEN NULL ELSE last6_active >= sustained_min() END AS sustained_destination_24,
       CASE WHEN last6_unknown > 0 THEN NULL ELSE last6_work >= sustained_min() END AS sustained_work_24,
       u + 24 <= observed_until_index() AS final_24,
       u + 6 <= observed_until_index() AS final_6,
       u + 12 <= observed_until_index() AS final_12,
       enrolment_id,
       statuses_24
FROM filled
