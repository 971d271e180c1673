-- marts/outflow_outcomes: one row per outflow (an enrolment with a datum_uitschrijving), for one
-- range of persons at a time.
-- u = the outflow month; status_k = the status in month u+k; months_<status>_24 count u+1 … u+24;
-- sustained_*_24 need at least 5 of the 6 months u+19 … u+24 active (unknown when any of them is
-- 'onbekend'); final_k = month u+k is observed; statuses_24 lists the status of every month
-- u+1 … u+24 (the path). Months after the last timeline month have no person_month row and count
-- as 'onbekend' (definitions.md); a timeline has no gaps, so they are the tail of the window.
WITH outflows AS (
    SELECT e.person_key, e.person_id, e.brin, e.enrolment_id, e.enrolment_end AS outflow_date,
           ${outflow_month_index} AS u,
           year(e.enrolment_end) AS cohort, e.pilot_code, e.crebo, e.niveau, e.leerweg, e.diploma,
           e.rmc_region_code,
           coalesce(p.participation_type, '${no_registration}') AS participation_type
    FROM core_enrolments AS e
    LEFT JOIN core_participants AS p
        ON p.person_id = e.person_id AND p.person_key = e.person_key AND p.pilot_code = e.pilot_code
       AND p.consent_valid
    WHERE e.enrolment_end IS NOT NULL AND e.${person_range}
), window_status AS (
    SELECT o.brin, o.enrolment_id, pm.month_index - o.u AS k, pm.status
    FROM outflows AS o
    JOIN person_month_part AS pm
        ON pm.person_id = o.person_id AND pm.month_index BETWEEN o.u + 1 AND o.u + ${window}
), per_outflow AS (
    SELECT brin, enrolment_id,
           list(status ORDER BY k) AS statuses,
           any_value(status) FILTER (WHERE k = 6) AS status_6,
           any_value(status) FILTER (WHERE k = 12) AS status_12,
           any_value(status) FILTER (WHERE k = 24) AS status_24,
           count(*) AS window_rows,
           ${month_counts},
           count(*) FILTER (WHERE k > ${window} - ${sustained_last} AND status = 'onbekend') AS last6_unknown,
           count(*) FILTER (WHERE k > ${window} - ${sustained_last}) AS last6_rows,
           count(*) FILTER (WHERE k > ${window} - ${sustained_last} AND status IN (${active_statuses})) AS last6_active,
           count(*) FILTER (WHERE k > ${window} - ${sustained_last} AND status IN (${work_statuses})) AS last6_work
    FROM window_status
    GROUP BY brin, enrolment_id
), filled AS (
    -- the window's months without a row: 'onbekend'
    SELECT o.*,
           coalesce(a.status_6, 'onbekend') AS status_6,
           coalesce(a.status_12, 'onbekend') AS status_12,
           coalesce(a.status_24, 'onbekend') AS status_24,
           ${filled_month_counts},
           coalesce(a.last6_unknown, 0) + ${sustained_last} - coalesce(a.last6_rows, 0) AS last6_unknown,
           coalesce(a.last6_active, 0) AS last6_active,
           coalesce(a.last6_work, 0) AS last6_work,
           list_resize(coalesce(a.statuses, []), ${window}, 'onbekend') AS statuses_24
    FROM outflows AS o LEFT JOIN per_outflow AS a USING (brin, enrolment_id)
)
SELECT person_key, outflow_date, ${outflow_month_text} AS outflow_month, cohort, pilot_code,
       brin, crebo, niveau, leerweg, diploma, participation_type, rmc_region_code,
       status_6, status_12, status_24,
       ${month_count_columns},
       CASE WHEN last6_unknown > 0 THEN NULL ELSE last6_active >= ${sustained_min} END AS sustained_destination_24,
       CASE WHEN last6_unknown > 0 THEN NULL ELSE last6_work >= ${sustained_min} END AS sustained_work_24,
       u + 24 <= ${observed_until_index} AS final_24,
       u + 6 <= ${observed_until_index} AS final_6,
       u + 12 <= ${observed_until_index} AS final_12,
       enrolment_id,
       statuses_24
FROM filled
