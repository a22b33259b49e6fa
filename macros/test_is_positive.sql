{{!-- A custom generic test: use it in YAML as `- is_positive` under a column. --}}
select {{column_name}} as value
from {{model}}
where {{column_name}} <= 0
