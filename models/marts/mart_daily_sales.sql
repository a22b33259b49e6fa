-- Sales by day, with the day's web traffic and conversion.
with sales as (
    select
        order_date,
        count(*) as orders,
        count(distinct customer_id) as customers,
        sum(gross_amount) as gross_revenue,
        sum(net_amount) as net_revenue
    from {{ref "fct_orders"}}
    where status <> 'cancelled'
    group by order_date
),
traffic as (
    select
        session_date,
        count(*) as sessions,
        count(*) filter (where converted) as converted_sessions
    from {{ref "stg_web_sessions"}}
    group by session_date
)
select
    s.order_date,
    s.orders,
    s.customers,
    s.gross_revenue,
    s.net_revenue,
    round({{safe_divide "s.net_revenue" "s.orders"}}, 2) as avg_order_value,
    coalesce(t.sessions, 0) as sessions,
    coalesce(t.converted_sessions, 0) as converted_sessions,
    round({{safe_divide "t.converted_sessions" "t.sessions"}}, 4) as conversion_rate
from sales s
left join traffic t on t.session_date = s.order_date
