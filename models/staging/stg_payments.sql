select
    payment_id,
    order_id,
    method as payment_method,
    method in {{in_list "upi" "card" "netbanking" "wallet"}} as is_prepaid,
    amount_paise,
    {{> cents_to_rupees column="amount_paise"}} as amount,
    paid_at
from {{source "vyapar" "payments"}}
