-- core/participants: the pilot register (current version per person and pilot), with consent
-- judged at the reference date: given, dated on or before it, not withdrawn on or before it.
SELECT
    person_key, pilot_code, participation_type, consent, consent_date, consent_withdrawn_date,
    coalesce(consent AND consent_date <= DATE '${reference_date}'
             AND (consent_withdrawn_date IS NULL OR consent_withdrawn_date > DATE '${reference_date}'), false)
        AS consent_valid,
    DATE '${reference_date}' AS consent_reference_date,
    delivery_date, file_name, load_id, person_id
FROM (${current_deelnemers})
