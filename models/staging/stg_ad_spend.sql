-- One row per campaign and day, read in place from the ad platforms' Parquet export.
select
    spend_date,
    campaign_id,
    impressions,
    clicks,
    spend_paise
from {{source "marketing" "ad_spend"}}
