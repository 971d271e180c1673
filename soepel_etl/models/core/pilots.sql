-- model: core/pilots
-- inputs: reference/pilots
-- core/pilots: the pilots of the reference folder this build used, with their target group.
SELECT upper(trim(pilot)) AS pilot_code, min(trim(naam)) AS pilot_name,
       min(nullif(trim(doelgroep), '')) AS target_group
FROM reference_pilots
GROUP BY upper(trim(pilot))
ORDER BY 1
