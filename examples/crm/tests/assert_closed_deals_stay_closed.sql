-- A deal that closed changes stage no more: its closing stage is its last one.
select deal_id, stage, left_at
from {{ref "fct_deal_stage_transitions"}}
where is_closed and left_at is not null
