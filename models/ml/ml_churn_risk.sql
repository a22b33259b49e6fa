{{config materialized="table" schema="ml" tags="daily"}}
-- A churn-risk score per customer in [0, 1]: a logistic function of the RFM features (longer since the last
-- order raises it, more orders and more spend lower it). Fixed weights, so every build scores alike.
with scored as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        1 / (1 + exp(-(
            -1.0
            + least(recency_days, 365) / 60.0
            - 0.5 * frequency
            - monetary / 50000.0
        ))) as churn_score
    from {{ref "ml_customer_features"}}
)
select
    customer_id,
    recency_days,
    frequency,
    monetary,
    round(churn_score, 4) as churn_score,
    case when churn_score >= 0.7 then 'high' when churn_score >= 0.4 then 'medium' else 'low' end as risk_band
from scored
