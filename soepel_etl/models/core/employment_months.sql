-- core/employment_months: paid hours per person and month over all employers (current versions:
-- a restated month replaces the earlier one). employed = hours add up to more than 0.
SELECT
    person_key,
    month,
    sum(hours) AS hours,
    sum(hours) > 0 AS employed,
    count(DISTINCT employer_key) FILTER (WHERE hours > 0) AS employers,
    sum(sv_wage) AS sv_wage
FROM (${current_werk})
GROUP BY person_key, month
