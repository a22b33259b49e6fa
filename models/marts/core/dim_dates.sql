-- One row per calendar day of the project's window, with India's fiscal year (April to March).
select
    d::date as date_day,
    year(d) as year,
    quarter(d) as quarter,
    month(d) as month,
    monthname(d) as month_name,
    date_trunc('month', d)::date as month_start,
    isodow(d) as day_of_week,
    dayname(d) as day_name,
    isodow(d) in (6, 7) as is_weekend,
    weekofyear(d) as iso_week,
    isoyear(d) as iso_year,                -- the year iso_week belongs to (2024-12-30 is week 1 of 2025)
    case when month(d) >= 4 then year(d) else year(d) - 1 end as fiscal_year,
    'FY' || (case when month(d) >= 4 then year(d) else year(d) - 1 end) || '-' ||
        right(cast(case when month(d) >= 4 then year(d) + 1 else year(d) end as varchar), 2) as fiscal_year_label,
    ((month(d) + 8) % 12) // 3 + 1 as fiscal_quarter
from generate_series(date '{{var "start_date"}}', date '{{var "end_date"}}', interval 1 day) as t(d)
