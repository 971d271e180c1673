-- marts/cohort_outcomes: exact counts of outflow_outcomes by cohort, pilot, level, learning path,
-- diploma, participation type, horizon and status; share = n / the group's total at that horizon.
-- n_final counts the outflows whose month u+horizon is observed; final says the whole group is.
WITH long AS (
    ${unpivot_horizons}
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
