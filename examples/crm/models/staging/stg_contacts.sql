-- A contact's region and consent: what every fact is tagged with.
select c.contact_id, c.region, c.consent, c.created_at,
       r.consent_retention_years, r.no_consent_retention_days
from {{source "raw" "contacts"}} c
join {{source "raw" "regions"}} r using (region)
