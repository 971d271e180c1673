-- model: core/person_spans
-- inputs: core/enrolments, core/benefit_spells, core/persons
-- published: no
-- core/person_spans (internal, not published): each person's timeline from the first enrolment month
-- to the last month, cut into spans of months in which enrolled(m), bbl(m) and benefit(m) stay
-- the same. core/person_month is these spans, one row per month, with employment added.
--   enrolled(m): an enrolment overlaps m by a day (start month <= m, end empty or end month >= m)
--   bbl(m):      such an enrolment is BBL
--   benefit(m):  a benefit spell overlaps m
-- Every spell becomes +1 at its first month and -1 after its last; the running sums say how many
-- enrolments, BBL enrolments and benefit spells are open in each span. Benefit months before the
-- first enrolment month are outside the timeline.
WITH spells AS (
    SELECT person_id, month_index(enrolment_start) AS first_m,
           least(coalesce(month_index(enrolment_end), last_month_index()), last_month_index()) AS last_m,
           1 AS enrolments, CASE WHEN leerweg = 'BBL' THEN 1 ELSE 0 END AS bbl_enrolments, 0 AS benefits
    FROM core_enrolments
    UNION ALL
    SELECT b.person_id, greatest(month_index(b.start_date), p.first_month_index),
           least(coalesce(month_index(b.end_date), last_month_index()), last_month_index()), 0, 0, 1
    FROM core_benefit_spells AS b JOIN core_persons AS p USING (person_id)
), changes AS (
    SELECT person_id, m, sum(enrolments) AS enrolments, sum(bbl_enrolments) AS bbl_enrolments, sum(benefits) AS benefits
    FROM (
        SELECT person_id, first_m AS m, enrolments, bbl_enrolments, benefits FROM spells WHERE first_m <= last_m
        UNION ALL
        SELECT person_id, last_m + 1, -enrolments, -bbl_enrolments, -benefits FROM spells WHERE first_m <= last_m
        UNION ALL   -- every timeline starts at the first enrolment month, whatever that enrolment's end
        SELECT person_id, first_month_index, 0, 0, 0 FROM core_persons
    )
    WHERE m <= last_month_index()
    GROUP BY person_id, m
), open_counts AS (
    SELECT person_id, m AS span_first,
           coalesce(lead(m) OVER timeline - 1, last_month_index()) AS span_last,
           sum(enrolments) OVER running AS enrolments,
           sum(bbl_enrolments) OVER running AS bbl_enrolments,
           sum(benefits) OVER running AS benefits
    FROM changes
    WINDOW timeline AS (PARTITION BY person_id ORDER BY m),
           running AS (PARTITION BY person_id ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT person_id, span_first, span_last,
       enrolments > 0 AS enrolled, bbl_enrolments > 0 AS bbl, benefits > 0 AS benefit
FROM open_counts
