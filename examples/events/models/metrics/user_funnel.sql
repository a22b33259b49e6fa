-- The behaviour funnel, per session: sessions that reached each step after the step before it (in time order),
-- the users who had such a session, and the share of sessions kept from the step before and from the top.
with e as (
  select session_id, user_id, event_type, occurred_at from {{ref "stg_events"}}
), visited as (
  select session_id, user_id, min(occurred_at) as at from e where event_type = 'page_view' group by all
), viewed as (
  select e.session_id, e.user_id, min(e.occurred_at) as at from e join visited s using (session_id)
  where e.event_type = 'product_view' and e.occurred_at >= s.at group by all
), carted as (
  select e.session_id, e.user_id, min(e.occurred_at) as at from e join viewed s using (session_id)
  where e.event_type = 'add_to_cart' and e.occurred_at >= s.at group by all
), checked_out as (
  select e.session_id, e.user_id, min(e.occurred_at) as at from e join carted s using (session_id)
  where e.event_type = 'checkout_start' and e.occurred_at >= s.at group by all
), purchased as (
  select e.session_id, e.user_id, min(e.occurred_at) as at from e join checked_out s using (session_id)
  where e.event_type = 'purchase' and e.occurred_at >= s.at group by all
), steps as (
  select 1 as step, 'visited' as stage, count(*) as sessions, count(distinct user_id) as users from visited
  union all select 2, 'viewed_product', count(*), count(distinct user_id) from viewed
  union all select 3, 'added_to_cart', count(*), count(distinct user_id) from carted
  union all select 4, 'started_checkout', count(*), count(distinct user_id) from checked_out
  union all select 5, 'purchased', count(*), count(distinct user_id) from purchased
)
select
  step,
  stage,
  sessions,
  users,
  round(sessions / nullif(lag(sessions) over (order by step), 0), 4) as from_previous,
  round(sessions / nullif(first_value(sessions) over (order by step), 0), 4) as from_top
from steps
order by step
