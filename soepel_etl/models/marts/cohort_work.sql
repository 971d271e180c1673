-- model: marts/cohort_work
-- inputs: marts/outflow_work
-- marts/cohort_work: work after outflow per cohort, pilot, level, diploma and horizon (12, 24):
-- counts over the outflows whose month u+horizon is observed; wage percentiles by nearest rank
-- (x_⌈p·n/100⌉ over the ascending wages of the outflows with a wage). One row per group and
-- horizon with at least one outflow; none observed: counts 0 and percentiles null. Exact,
-- unsuppressed: publication goes through the report's disclosure control.
WITH long AS (
    SELECT cohort, pilot_code, niveau, diploma, 12 AS horizon, employed_12 AS employed, hours_12 AS hours,
           contract_12 AS contract, wage_12 AS wage, hourly_wage_12 AS hourly_wage, NULL::BOOLEAN AS durable
    FROM marts_outflow_work
    UNION ALL
    SELECT cohort, pilot_code, niveau, diploma, 24, employed_24, hours_24, contract_24, wage_24, hourly_wage_24,
           durable_work_24
    FROM marts_outflow_work
), grouped AS (
    SELECT cohort, pilot_code, niveau, diploma, horizon,
           count(employed) AS outflows_observed,
           count(*) FILTER (WHERE employed) AS employed,
           count(*) FILTER (WHERE employed AND hours >= hours_work_min()) AS hours_52_plus,
           count(*) FILTER (WHERE contract = 'onbepaald') AS contract_onbepaald,
           count(*) FILTER (WHERE employed AND wage IS NOT NULL) AS with_wage,
           list_sort(list(wage) FILTER (WHERE employed AND wage IS NOT NULL)) AS wages,
           list_sort(list(hourly_wage) FILTER (WHERE employed AND wage IS NOT NULL)) AS hourly_wages,
           CASE WHEN horizon = 24 THEN count(*) FILTER (WHERE durable) END AS durable_work
    FROM long
    GROUP BY cohort, pilot_code, niveau, diploma, horizon
)
SELECT cohort, pilot_code, niveau, diploma, horizon, outflows_observed, employed, hours_52_plus,
       contract_onbepaald, with_wage,
       nearest_rank(wages, 25) AS wage_p25, nearest_rank(wages, 50) AS wage_p50, nearest_rank(wages, 75) AS wage_p75,
       nearest_rank(hourly_wages, 50) AS hourly_wage_p50,
       durable_work
FROM grouped
