-- core/employment_months: paid hours per person and month over all employers. Per record key
-- (person, employer, periode) the current version counts: the later delivery wins, so a restated
-- month replaces the earlier one. employed = hours add up to more than 0.
-- (arg_max over an integer file rank is the same precedence as current_sql, as an aggregate:
-- werk is the biggest source by far, and a sort-based window over it is what would not scale.)
WITH files AS (
    ${werk_file_ranks}
), current_versions AS (
    SELECT ${werk_person_id} AS person_id, employer_key, month,
           arg_max(person_key, file_rank) AS person_key,
           arg_max(hours, file_rank) AS hours,
           arg_max(sv_wage, file_rank) AS sv_wage
    FROM stg_werk JOIN files USING (load_id)
    GROUP BY ALL
)
SELECT person_id, any_value(person_key) AS person_key, month,
       ${employment_month_index} AS month_index,
       sum(hours) AS hours,
       sum(hours) > 0 AS employed,
       count(*) FILTER (WHERE hours > 0) AS employers,
       sum(sv_wage) AS sv_wage
FROM current_versions
GROUP BY person_id, month
