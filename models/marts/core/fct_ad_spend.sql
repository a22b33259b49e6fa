-- Ad spend per campaign and day, in rupees, with click-through rate and cost per click.
select
    a.spend_date,
    a.campaign_id,
    c.channel,
    a.impressions,
    a.clicks,
    {{> cents_to_rupees column="a.spend_paise"}} as spend,
    round({{safe_divide "a.clicks" "a.impressions"}}, 4) as click_through_rate,
    round({{safe_divide "a.spend_paise / 100.0" "a.clicks"}}, 2) as cost_per_click
from {{ref "stg_ad_spend"}} a
join {{ref "stg_campaigns"}} c using (campaign_id)
