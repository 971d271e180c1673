-- model: core/municipalities
-- inputs: reference/gemeenten
-- core/municipalities: the municipalities of the reference folder this build used, stored with it:
-- the report takes region, municipality and pilot names from here, never from whatever folder
-- happens to be configured when it runs. One row per code even if the file repeats one.
SELECT upper(trim(gemeente_code)) AS municipality_code, min(trim(gemeente_naam)) AS municipality_name,
       min(nullif(trim(rmc_regio_code), '')) AS rmc_region_code,
       min(nullif(trim(rmc_regio_naam), '')) AS rmc_region_name,
       min(nullif(trim(arbeidsmarktregio), '')) AS labour_market_region
FROM reference_gemeenten
GROUP BY upper(trim(gemeente_code))
ORDER BY 1
