{{!-- The day a fact expires (its first day not kept): the region's period from the event, a short one without the contact's consent. --}}
(case when {{contact}}.consent then ({{at}})::date + to_years({{contact}}.consent_retention_years)
      else ({{at}})::date + to_days({{contact}}.no_consent_retention_days) end)::date
