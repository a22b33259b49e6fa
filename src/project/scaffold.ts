/**
 * The files `eider init` writes: a project that builds and tests green at once — a seed, a staging view, a mart
 * table, column tests, a singular data test and a unit test — with dev, ci and prod targets.
 */
export function scaffold(name: string): Record<string, string> {
  return {
    'project.yml': `# ${name}: an eider project (eider init). Folder defaults: the most specific setting wins.
name: ${name}
version: 1
profile: ${name}

vars:
  start_date: '2024-01-01'

models:
  staging:
    materialized: view
    schema: staging
  marts:
    materialized: table
    schema: marts

seeds:
  schema: raw
`,
    'profiles/profiles.yml': `# One DuckDB file per target; --target picks one (dev by default).
${name}:
  target: dev
  targets:
    dev:
      path: warehouse/dev.duckdb
      threads: 4
    ci:
      path: warehouse/ci.duckdb
      threads: 2
    prod:
      path: warehouse/prod.duckdb
      threads: 4
      publish: swap          # build a new release beside the file, rename it over the file when every test passed
      keep_releases: 3       # earlier releases kept for eider rollback
`,
    'seeds/raw_orders.csv': `order_id,customer_id,ordered_at,status,amount
1,101,2024-03-01 09:15:00,delivered,1250.00
2,102,2024-03-01 11:40:00,shipped,499.50
3,101,2024-03-02 16:05:00,cancelled,300.00
4,103,2024-03-03 08:20:00,delivered,2100.00
5,102,2024-03-04 19:55:00,placed,75.25
`,
    'models/staging/stg_orders.sql': `-- One row per order, typed and cleaned. Staging models are views (project.yml).
select
    order_id,
    customer_id,
    ordered_at,
    cast(ordered_at as date) as order_date,
    lower(status) as status,
    cast(amount as decimal(12, 2)) as amount
from {{ref "raw_orders"}}
where ordered_at >= date '{{var "start_date"}}'
`,
    'models/staging/staging.yml': `models:
  - name: stg_orders
    description: Orders from the start date on; one row per order.
    columns:
      - name: order_id
        tests: [not_null, unique]
      - name: status
        tests:
          - accepted_values: {values: [placed, shipped, delivered, cancelled, returned]}
`,
    'models/marts/customer_orders.sql': `-- Per customer: orders that were not cancelled, and what they spent.
select
    customer_id,
    count(*) as orders,
    sum(amount) as revenue,
    min(order_date) as first_order_date
from {{ref "stg_orders"}}
where status <> 'cancelled'
group by customer_id
`,
    'models/marts/marts.yml': `models:
  - name: customer_orders
    description: One row per customer with at least one order that was not cancelled.
    columns:
      - name: customer_id
        tests: [not_null, unique]
`,
    'tests/assert_no_negative_revenue.sql': `-- A singular data test: the rows it returns are failures.
select customer_id, revenue
from {{ref "customer_orders"}}
where revenue < 0
`,
    'tests/customer_orders.yml': `unit_tests:
  - name: customer_orders_leaves_out_cancelled_orders
    model: customer_orders
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, customer_id: 1, order_date: 2024-03-01, status: delivered, amount: 10}
          - {order_id: 2, customer_id: 1, order_date: 2024-03-02, status: cancelled, amount: 99}
          - {order_id: 3, customer_id: 2, order_date: 2024-03-03, status: placed, amount: 5}
    expect:
      rows:
        - {customer_id: 1, orders: 1, revenue: 10, first_order_date: 2024-03-01}
        - {customer_id: 2, orders: 1, revenue: 5, first_order_date: 2024-03-03}
`,
    '.gitignore': `warehouse/
target/
output/
`,
  };
}
