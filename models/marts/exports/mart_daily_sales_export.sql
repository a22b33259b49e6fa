{{config materialized="external" location="mart_daily_sales.parquet" tags="export"}}
-- The daily sales mart as a Parquet file in output/<target>/, for tools that read files rather than DuckDB.
select * from {{ref "mart_daily_sales"}}
