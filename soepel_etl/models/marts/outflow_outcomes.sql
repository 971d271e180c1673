-- marts/outflow_outcomes: one row per outflow (an enrolment with a datum_uitschrijving).
-- u = the outflow month; status_k = the status in month u+k ('onbekend' beyond coverage, also
-- where person_month has no row); months_<status>_24 count u+1 … u+24; sustained_*_24 need at
-- least 5 of the 6 months u+19 … u+24 active (unknown when any of them is 'onbekend');
-- final_k = month u+k is observed; statuses_24 lists the status of every month u+1 … u+24 (the path).
WITH outflows AS (
    SELECT e.person_key, ${outflow_person_id} AS person_id, e.brin, e.enrolment_id, e.enrolment_end AS outflow_date,
           ${outflow_month_index} AS u,
           year(e.enrolment_end) AS cohort, e.pilot_code, e.crebo, e.niveau, e.leerweg, e.diploma,
           e.rmc_region_code,
           coalesce(p.participation_type, '${no_registration}') AS participation_type
    FROM core_enrolments AS e
    LEFT JOIN core_participants AS p
        ON p.person_key = e.person_key AND p.pilot_code = e.pilot_code AND p.consent_valid
    WHERE e.enrolment_end IS NOT NULL
), window_months AS (
    SELECT o.person_id, o.brin, o.enrolment_id, k, o.u + k AS m
    FROM outflows AS o, range(1, ${window} + 1) AS t(k)
), window_status AS (
    SELECT w.brin, w.enrolment_id, w.k, coalesce(pm.status, 'onbekend') AS status
    FROM window_months AS w
    LEFT JOIN person_month_index AS pm ON pm.person_id = w.person_id AND pm.month_index = w.m
), per_outflow AS (
    SELECT brin, enrolment_id,
           list(status ORDER BY k) AS statuses_24,
           any_value(status) FILTER (WHERE k = 6) AS status_6,
           any_value(status) FILTER (WHERE k = 12) AS status_12,
           any_value(status) FILTER (WHERE k = 24) AS status_24,
           ${month_counts},
           count(*) FILTER (WHERE k > ${window} - ${sustained_last} AND status = 'onbekend') AS last6_unknown,
           count(*) FILTER (WHERE k > ${window} - ${sustained_last} AND status IN (${active_statuses})) AS last6_active,
           count(*) FILTER (WHERE k > ${window} - ${sustained_last} AND status IN (${work_statuses})) AS last6_work
    FROM window_status
    GROUP BY brin, enrolment_id
)
SELECT o.person_key, o.outflow_date, ${outflow_month_text} AS outflow_month, o.cohort, o.pilot_code,
       o.brin, o.crebo, o.niveau, o.leerweg, o.diploma, o.participation_type, o.rmc_region_code,
       a.status_6, a.status_12, a.status_24,
       ${month_count_columns},
       CASE WHEN a.last6_unknown > 0 THEN NULL ELSE a.last6_active >= ${sustained_min} END AS sustained_destination_24,
       CASE WHEN a.last6_unknown > 0 THEN NULL ELSE a.last6_work >= ${sustained_min} END AS sustained_work_24,
       o.u + 24 <= ${observed_until_index} AS final_24,
       o.u + 6 <= ${observed_until_index} AS final_6,
       o.u + 12 <= ${observed_until_index} AS final_12,
       o.enrolment_id,
       a.statuses_24
FROM outflows AS o JOIN per_outflow AS a USING (brin, enrolment_id)
