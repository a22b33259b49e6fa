({{column}} / 100.0)::decimal(18, 2)
