{{config materialized="incremental" incremental_strategy="append"}}
-- One row per build: the file's size and use of its blocks (pragma_database_size) and the activity fact's exact
-- row count and blocks (pragma_storage_info takes one table, named in the SQL: it cannot be run for every table in
-- one query). Read while the build runs, the sizes are the file as its last checkpoint left it — the previous
-- build's file; a new file's first build sees 0 bytes (this build's tables are not checkpointed yet).
select '{{run_started_at}}'::timestamptz as built_at,
       '{{invocation_id}}' as invocation_id,
       s.block_size * s.total_blocks as file_bytes,
       s.block_size * s.used_blocks as used_bytes,
       s.free_blocks,
       (select count(*) from {{ref "fct_activity"}}) as fct_activity_rows,
       (select count(distinct block_id) from pragma_storage_info('facts.fct_activity') where persistent) as fct_activity_blocks
from pragma_database_size() s
where s.database_name = current_database()
