import { checkInterval, intervalSql } from '../compile/generic-tests.js';
import { didYouMean } from '../errors.js';
import { quoteIdent, quoteLiteral, quoteRelation, type Materialization, type Period, type Relation, type Retention } from '../types.js';

/**
 * Retention periods: `retention: {field: created_at, keep: {count: 2, period: year}}` on a table, an incremental
 * model, a snapshot or a seed. After each build of the node, in the same step (so in the same release), rows whose
 * `field` is older than `keep` before the run's start are deleted. A snapshot's field defaults to `valid_to`: the
 * versions closed longer ago than `keep` go, the current ones (valid_to null) stay.
 */

const SHAPE = `retention must be {field: <column>, keep: {count: N, period: hour|day|week|month|year}} (in a {{config}} call: retention="created_at 2 years")`;

/** `{{config retention="created_at 2 years"}}` (in-file config takes literals only); a snapshot may leave out the field. */
const SHORT = /^\s*(?:(\S+)\s+)?(\d+\s+[a-z]+)\s*$/i;

/** A `retention:` value as written in any config layer: a message, or undefined when it is well formed. */
export function checkRetention(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const m = SHORT.exec(value);
    return m && checkInterval(m[2]) === undefined ? undefined : SHAPE;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return SHAPE;
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).find((k) => k !== 'field' && k !== 'keep');
  if (extra !== undefined) return `retention has an unknown key "${extra}"${didYouMean(extra, ['field', 'keep'])}; ${SHAPE}`;
  if ('field' in v && (typeof v.field !== 'string' || v.field === '')) return 'retention.field must be a column name';
  if (!('keep' in v)) return `retention needs keep; ${SHAPE}`;
  if (v.keep === 0) return undefined; // the field is each row's own expiry date (retain_until)
  const problem = checkInterval(v.keep, true);
  return problem === undefined ? undefined : `retention.keep ${problem}`;
}

/** The node's retention from its merged config (checked already); a snapshot's field defaults to valid_to. */
export function retentionOf(config: Readonly<Record<string, unknown>>, runStartedAt: string): Retention | undefined {
  const written = config.retention as { field?: string; keep: Period | string } | string | undefined;
  if (!written) return undefined;
  const short = typeof written === 'string' ? SHORT.exec(written) : null;
  const r = short ? { field: short[1], keep: short[2] } : (written as { field?: string; keep: Period | string });
  return { field: r.field ?? (config.materialized === 'snapshot' ? 'valid_to' : ''), keep: (r.keep as unknown) === 0 ? '0 days' : r.keep, runStartedAt };
}

/** What is wrong with a retention on a model of this materialization (seeds: undefined), or undefined. */
export function retentionProblem(r: Retention, materialized?: Materialization): string | undefined {
  if (materialized === 'view' || materialized === 'ephemeral') {
    return `retention: a${materialized === 'ephemeral' ? 'n ephemeral model' : ' view'} has no rows of its own to delete; set retention on the tables it reads, or materialize it as a table`;
  }
  if (materialized === 'external') return 'retention: an external model writes its files whole on every build; keep the rows it should keep with a where in its SQL';
  if (r.field === '') return 'retention needs field: the column whose age expires a row (e.g. created_at)';
  return undefined;
}

/**
 * The statement that deletes the expired rows: older than `keep` before the run's start, one cutoff per run. Times
 * compare as microseconds since the epoch, so no session time zone enters: a timestamptz as the instant it is, a
 * naive timestamp or a date read as UTC. A snapshot's valid_to keeps the snapshot's own convention (see `cutoffSql`).
 */
export function expireSql(relation: Relation, r: Retention, materialized?: Materialization): string {
  const field = quoteIdent(r.field);
  if (materialized === 'snapshot' && r.field.toLowerCase() === 'valid_to') return `delete from ${quoteRelation(relation)} where ${field} < ${cutoffSql(r)}`;
  const utc = `timestamp ${quoteLiteral(new Date(r.runStartedAt).toISOString().replace('T', ' ').replace(/Z$/, ''))}`;
  return `delete from ${quoteRelation(relation)} where epoch_us(${field}) < epoch_us(${utc} - ${intervalSql(r.keep)})`;
}

/** The run's start as a snapshot writes valid_to (a local timestamp, like valid_from) less the period kept. */
export function cutoffSql(r: Retention): string {
  return `(${quoteLiteral(r.runStartedAt)}::timestamptz::timestamp - ${intervalSql(r.keep)})`;
}
