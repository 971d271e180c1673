-- model: marts/cohort_outcomes
-- inputs: marts/outflow_outcomes
-- marts/cohort_outcomes: exact counts of outflow_outcomes by cohort, pilot, level, learning path,
-- diploma, participation type, horizon and status; share = n / the group's total at that horizon.
-- n_final counts the outflows whose month u+horizon is observed; final says the whole group is.
WITH long AS (
    SELECT cohort, pilot_code, niveau, leerweg, diploma, participation_type, 6 AS horizon,
           status_6 AS status, final_6 AS is_final FROM marts_outflow_outcomes
    UNION ALL
    SELECT cohort, pilot_code, niveau, leerweg, diploma, participation_type, 12 AS horizon,
           status_12 AS status, final_12 AS is_final FROM marts_outflow_outcomes
    UNION ALL
    SELECT cohort, pilot_code, niveau, leerweg, diploma, participation_type, 24 AS horizon,
           status_24 AS status, final_24 AS is_final FROM marts_outflow_outcomes
), counted AS (
    SELECT cohort, pilot_code, niveau, leerweg, diploma, participation_type, horizon, status,
           count(*) AS n, count(*) FILTER (WHERE is_final) AS n_final
    FROM long
    GROUP BY ALL
)
SELECT cohort, pilot_code, niveau, leerweg, diploma, participation_type, horizon, status, n,
       n / sum(n) OVER grp AS share,
       n_final,
       sum(n - n_final) OVER grp = 0 AS final
FROM counted
WINDOW grp AS (PARTITION BY cohort, pilot_code, niveau, leerweg, diploma, participation_type, horizon)
