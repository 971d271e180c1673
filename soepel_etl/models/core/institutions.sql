-- model: core/institutions
-- inputs: reference/instellingen
-- core/institutions: the institutions (BRIN) of the reference folder this build used, with their
-- pilot; one row per BRIN even if the file repeats one.
SELECT upper(trim(brin)) AS brin, min(trim(naam)) AS institution_name,
       min(nullif(trim(pilot), '')) AS pilot_code
FROM reference_instellingen
GROUP BY upper(trim(brin))
ORDER BY 1
