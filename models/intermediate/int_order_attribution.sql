-- Last-touch attribution: an order (not cancelled) goes to the campaign of its customer's latest paid session
-- (a session on a campaign's channel while the campaign ran) in the 7 days up to the order.
select
    o.order_id,
    o.customer_id,
    o.ordered_at,
    c.campaign_id,
    s.session_id as touch_session_id,
    s.started_at as touched_at
from {{ref "stg_orders"}} o
join {{ref "stg_web_sessions"}} s
  on s.customer_id = o.customer_id
 and s.started_at <= o.ordered_at
 and s.started_at > o.ordered_at - interval 7 day
join {{ref "stg_campaigns"}} c
  on c.channel = s.channel
 and s.session_date between c.start_date and c.end_date
where o.status <> 'cancelled'
qualify row_number() over (partition by o.order_id order by s.started_at desc, s.session_id desc) = 1
