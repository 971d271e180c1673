-- model: core/employment_months
-- inputs: staging/werk
-- built: per person range
-- core/employment_months: paid hours per person and month over all employers, for one range of
-- persons at a time. Per record key (person, employer, periode) only the current version counts:
-- the later delivery wins, so a restated month replaces the earlier one. employed = hours > 0.
-- Rows of one file are unique per record key, so a person-month delivered by a single file needs
-- no version check; only months delivered by more than one file (restated, or a person who moved
-- between senders) are resolved per record key. That keeps the big source to one aggregate.
-- arg_max_null, not arg_max: the current version wins as a whole, an empty sv_loon included
-- (arg_max skips NULLs and would keep the earlier version's wage).
WITH werk AS NOT MATERIALIZED (   -- scanned twice: cheap, staging werk is sorted by person
    SELECT person_id, employer_id, month_index, hours, sv_wage, file_rank
    FROM stg_werk_ranked
    WHERE in_person_range(person_id)
), per_month AS (
    SELECT person_id, month_index, sum(hours) AS hours, count(*) FILTER (WHERE hours > 0) AS employers,
           sum(sv_wage) AS sv_wage, min(file_rank) < max(file_rank) AS several_files
    FROM werk
    GROUP BY person_id, month_index
), restated AS (
    SELECT person_id, month_index, sum(hours) AS hours, count(*) FILTER (WHERE hours > 0) AS employers,
           sum(sv_wage) AS sv_wage
    FROM (
        SELECT person_id, employer_id, month_index,
               arg_max_null(hours, file_rank) AS hours, arg_max_null(sv_wage, file_rank) AS sv_wage
        FROM werk SEMI JOIN (SELECT person_id, month_index FROM per_month WHERE several_files)
            USING (person_id, month_index)
        GROUP BY person_id, employer_id, month_index
    )
    GROUP BY person_id, month_index
)
SELECT person_id, month_index, hours, hours > 0 AS employed, employers, sv_wage
FROM per_month WHERE NOT several_files
UNION ALL
SELECT person_id, month_index, hours, hours > 0 AS employed, employers, sv_wage
FROM restated
-- publish:
-- stays on person_id: its rows leave an aggregate in no particular order, and written that way
-- 88 M copies of a 64-character pseudonym cost more than the rest of the table
SELECT t.person_id, month_label(t.month_index) AS month, t.* EXCLUDE (person_id)
FROM core_employment_months AS t
