import { execFileSync } from 'node:child_process';
import { relationKey, type Session } from '../adapter/adapter.js';
import { healthViews, MEDIAN_RUNS } from '../operate/health.js';
import { quoteLiteral, type Manifest, type NodeId, type NodeResult, type RunResult } from '../types.js';

/** The run history every target file carries, in a schema BI tools can query. */
export const HISTORY_SCHEMA = 'eider';

export const HISTORY_DDL = [
  `create schema if not exists ${HISTORY_SCHEMA}`,
  `create table if not exists ${HISTORY_SCHEMA}.releases (release_id varchar, invocation_id varchar, target varchar, command varchar, git_commit varchar, publish_mode varchar, started_at timestamptz, finished_at timestamptz, published_at timestamptz, status varchar, node_count integer, eider_version varchar, file_bytes bigint, schedule varchar)`,
  `create table if not exists ${HISTORY_SCHEMA}.node_runs (release_id varchar, invocation_id varchar, node_id varchar, resource_type varchar, name varchar, status varchar, started_at timestamptz, duration_ms double, rows bigint, error varchar, relation varchar)`,
  `create table if not exists ${HISTORY_SCHEMA}.test_results (release_id varchar, invocation_id varchar, node_id varchar, name varchar, test_type varchar, severity varchar, status varchar, failures bigint, started_at timestamptz)`,
  `create table if not exists ${HISTORY_SCHEMA}.freshness_results (invocation_id varchar, node_id varchar, checked_at timestamptz, max_loaded_at timestamptz, age_s bigint, status varchar)`,
  // Files written by an earlier eider get the columns added since.
  `alter table ${HISTORY_SCHEMA}.releases add column if not exists file_bytes bigint`,
  `alter table ${HISTORY_SCHEMA}.releases add column if not exists schedule varchar`,
  `alter table ${HISTORY_SCHEMA}.node_runs add column if not exists relation varchar`,
];

/** The health views over the history (operate/health.ts), replaced after each run's history is written. */
export const HISTORY_VIEWS = healthViews(HISTORY_SCHEMA);

/**
 * `releases.file_bytes`: the blocks of the file the statement runs in (checkpointed first: what is only in the WAL
 * takes no blocks yet), i.e. the published file's size without its 12 KiB of headers.
 */
const FILE_BYTES = `(select total_blocks * block_size from pragma_database_size() where database_name = current_database())`;

export const HISTORY_TABLES = ['releases', 'node_runs', 'test_results', 'freshness_results'] as const;

export interface ReleaseRecord {
  readonly releaseId: string;
  readonly status: 'published' | 'in_place' | 'failed';
  readonly publishedAt?: string;
  /** The `eider schedule` entry that started this run (the child build reads it from EIDER_SCHEDULE). */
  readonly schedule?: string;
}

/** How `eider schedule` tells the build it starts which schedule it runs, for the run's history. */
export const SCHEDULE_ENV = 'EIDER_SCHEDULE';

/** `20261124T101500123Z-1a2b3c4d`: sortable to the millisecond (builds a second apart are common), and names the invocation. */
export function releaseId(m: Manifest, at = new Date()): string {
  return `${at.toISOString().replace(/[-:.]/g, '')}-${m.invocationId.slice(0, 8)}`;
}

export function gitCommit(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

const RELEASE_COLUMNS = ['release_id', 'invocation_id', 'target', 'command', 'git_commit', 'publish_mode', 'started_at', 'finished_at', 'published_at', 'status', 'node_count', 'eider_version', 'schedule', 'file_bytes'];

const lit = (v: string | number | null | undefined) => (v === null || v === undefined ? 'null' : typeof v === 'number' ? String(v) : quoteLiteral(v));

/** Statements that append this run to the history tables (values only: secrets were redacted in the results). */
export function historyInserts(m: Manifest, run: RunResult, rec: ReleaseRecord, eiderVersion: string, commit: string | null): string[] {
  const nodes = run.results.filter((r) => m.nodes[r.nodeId]);
  const out = [
    `insert into ${HISTORY_SCHEMA}.releases (${RELEASE_COLUMNS.join(', ')}) values (${[
      rec.releaseId,
      m.invocationId,
      m.target.name,
      run.command,
      commit,
      m.target.publish,
      run.startedAt,
      new Date().toISOString(),
      rec.publishedAt ?? null,
      rec.status,
      nodes.filter((r) => r.status !== 'skipped').length,
      eiderVersion,
      rec.schedule ?? null,
    ]
      .map(lit)
      .join(', ')}, ${FILE_BYTES})`,
  ];
  const runs = nodes.filter((r) => m.nodes[r.nodeId].kind !== 'test' && m.nodes[r.nodeId].kind !== 'unit_test');
  if (runs.length > 0) {
    out.push(
      `insert into ${HISTORY_SCHEMA}.node_runs (release_id, invocation_id, node_id, resource_type, name, status, started_at, duration_ms, rows, error, relation) values ${runs
        .map((r: NodeResult) => `(${[rec.releaseId, m.invocationId, r.nodeId, m.nodes[r.nodeId].kind, m.nodes[r.nodeId].name, r.status, r.startedAt, r.durationMs, r.rows ?? null, r.error ?? null, relationOf(m, r.nodeId)].map(lit).join(', ')})`)
        .join(', ')}`,
    );
  }
  const tests = nodes.filter((r) => m.nodes[r.nodeId].kind === 'test' || m.nodes[r.nodeId].kind === 'unit_test');
  if (tests.length > 0) {
    out.push(
      `insert into ${HISTORY_SCHEMA}.test_results (release_id, invocation_id, node_id, name, test_type, severity, status, failures, started_at) values ${tests
        .map((r) => {
          const n = m.nodes[r.nodeId];
          const type = n.kind === 'test' ? n.testType : 'unit';
          const severity = n.kind === 'test' ? n.severity : 'error';
          return `(${[rec.releaseId, m.invocationId, r.nodeId, n.name, type, severity, r.status, r.failures ?? null, r.startedAt].map(lit).join(', ')})`;
        })
        .join(', ')}`,
    );
  }
  return out;
}

/** The relation a node's run writes in the target (`schema.name`, lower case), or null (ephemeral, a source, elsewhere). */
function relationOf(m: Manifest, id: NodeId): string | null {
  const n = m.nodes[id];
  if (n.kind !== 'model' && n.kind !== 'seed') return null;
  if (n.relation.catalog !== undefined || (n.kind === 'model' && n.materialized === 'ephemeral')) return null;
  return relationKey(n.relation);
}

/**
 * Each node's median duration (ms) over its last successful runs in the target's history, for a progress display's
 * ETA. One small query; a target without history (or any failure to read it) gives an empty map, never an error.
 */
export async function nodeDurations(session: Session): Promise<Map<NodeId, number>> {
  try {
    const rows = await session.query(
      `select node_id, median(duration_ms) as ms from (select node_id, duration_ms, row_number() over (partition by node_id order by started_at desc) as n from ${HISTORY_SCHEMA}.node_runs where status = 'success') where n <= ${MEDIAN_RUNS} group by node_id`,
    );
    return new Map(rows.flatMap((r) => (Number.isFinite(Number(r.ms)) ? [[String(r.node_id), Number(r.ms)] as const] : [])));
  } catch {
    return new Map();
  }
}
