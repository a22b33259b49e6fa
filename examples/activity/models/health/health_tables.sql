{{config materialized="view"}}
-- Every table and view of this warehouse file, read from DuckDB's catalog when queried (a view, so it is always
-- current): rows as DuckDB estimates them (rows a retention or erase deleted still count until the table is
-- rewritten), columns, and whether it is a view. current_database() is the file's catalog, whatever alias a
-- reader attaches it under.
select schema_name, table_name, 'table' as kind, estimated_size as estimated_rows, column_count
from duckdb_tables() where database_name = current_database() and schema_name not in ('eider', 'eider_audit')
union all
select schema_name, view_name, 'view', null, column_count
from duckdb_views() where database_name = current_database() and not internal and schema_name not in ('eider', 'eider_audit')
order by schema_name, table_name
