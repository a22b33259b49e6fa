-- A delivered order's payment must equal its net total, to the paisa.
select order_id, net_amount, paid_amount
from {{ref "fct_orders"}}
where status = 'delivered'
  and (paid_amount is null or paid_amount <> net_amount)
