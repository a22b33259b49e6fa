import { BATCH_SIZES, INCREMENTAL_STRATEGIES, MATERIALIZATIONS, SCHEMA_CHANGES, type Origin } from '../types.js';
import { didYouMean } from '../errors.js';
import { checkRetention } from '../operate/retention.js';

/** What a user may write in `{{config}}`, a properties `config:` block or a project.yml folder default. */
export const CONFIG_KEYS = {
  model: ['materialized', 'schema', 'alias', 'tags', 'enabled', 'meta', 'contract', 'incremental_strategy', 'unique_key', 'on_schema_change', 'pre_hook', 'post_hook', 'strategy', 'updated_at', 'check_cols', 'invalidate_hard_deletes', 'location', 'format', 'partition_by', 'event_time', 'batch_size', 'lookback', 'begin', 'retention'],
  seed: ['schema', 'alias', 'tags', 'enabled', 'meta', 'column_types', 'delimiter', 'retention'],
  test: ['severity', 'tags', 'enabled', 'meta', 'warn_if', 'error_if', 'where', 'limit', 'store_failures'],
} as const;
export type ConfigKind = keyof typeof CONFIG_KEYS;

export type ConfigValues = Readonly<Record<string, unknown>>;

/** One layer of configuration and where it was written. */
export interface ConfigLayer {
  readonly values: ConfigValues;
  readonly origin: Origin;
  /** The line of each key, where the layer is written in YAML. */
  readonly lines?: Readonly<Record<string, number | undefined>>;
}

/** Where the value a key merges to was written: the last layer that sets it. */
export function configOrigin(layers: readonly ConfigLayer[], key: string): Origin | undefined {
  const layer = [...layers].reverse().find((l) => key in l.values);
  return layer && { file: layer.origin.file, line: layer.lines?.[key] ?? layer.origin.line };
}

/** Checks one key and value; returns a message or undefined. Pure, shared by every layer. */
export function checkConfig(kind: ConfigKind, key: string, value: unknown): string | undefined {
  const allowed: readonly string[] = CONFIG_KEYS[kind];
  if (!allowed.includes(key)) return `unknown config key "${key}"${didYouMean(key, allowed)}`;
  switch (key) {
    case 'materialized':
      return (MATERIALIZATIONS as readonly unknown[]).includes(value)
        ? undefined
        : `materialized must be one of ${MATERIALIZATIONS.join(', ')}, not "${String(value)}"${didYouMean(String(value), MATERIALIZATIONS)}`;
    case 'schema':
    case 'alias':
    case 'delimiter':
      return typeof value === 'string' && value.length > 0 ? undefined : `${key} must be a non-empty string`;
    case 'enabled':
      return typeof value === 'boolean' ? undefined : 'enabled must be true or false';
    case 'tags':
      return typeof value === 'string' || (Array.isArray(value) && value.every((t) => typeof t === 'string'))
        ? undefined
        : 'tags must be a string or a list of strings';
    case 'severity':
      return value === 'warn' || value === 'error' ? undefined : `severity must be warn or error, not "${String(value)}"`;
    case 'warn_if':
    case 'error_if':
      return typeof value === 'string' && THRESHOLD.test(value) ? undefined : `${key} must be a comparison with the failure count, like ">10", ">=1" or "!=0"; got ${JSON.stringify(value)}`;
    case 'where':
      return typeof value === 'string' && value.trim() !== '' ? undefined : 'where must be a SQL condition';
    case 'limit':
      return Number.isInteger(value) && (value as number) > 0 ? undefined : 'limit must be a positive whole number';
    case 'store_failures':
      return typeof value === 'boolean' ? undefined : 'store_failures must be true or false';
    case 'meta':
      return isRecord(value) ? undefined : 'meta must be a mapping';
    case 'incremental_strategy':
      return (INCREMENTAL_STRATEGIES as readonly unknown[]).includes(value)
        ? undefined
        : `incremental_strategy must be one of ${INCREMENTAL_STRATEGIES.join(', ')}, not "${String(value)}"${didYouMean(String(value), INCREMENTAL_STRATEGIES)}`;
    case 'on_schema_change':
      return (SCHEMA_CHANGES as readonly unknown[]).includes(value)
        ? undefined
        : `on_schema_change must be one of ${SCHEMA_CHANGES.join(', ')}, not "${String(value)}"${didYouMean(String(value), SCHEMA_CHANGES)}`;
    case 'event_time':
      return typeof value === 'string' && value !== '' ? undefined : 'event_time must be a column name';
    case 'batch_size':
      return (BATCH_SIZES as readonly unknown[]).includes(value) ? undefined : `batch_size must be one of ${BATCH_SIZES.join(', ')}, not "${String(value)}"${didYouMean(String(value), BATCH_SIZES)}`;
    case 'lookback':
      return Number.isInteger(value) && (value as number) >= 0 ? undefined : 'lookback must be a whole number of batches';
    case 'begin':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : `begin must be a date or timestamp, like '2024-01-01'`;
    case 'location':
      return typeof value === 'string' && value !== '' ? undefined : 'location must be a path under the output folder';
    case 'format':
      return ['parquet', 'csv', 'json'].includes(value as string) ? undefined : `format must be parquet, csv or json, not "${String(value)}"${didYouMean(String(value), ['parquet', 'csv', 'json'])}`;
    case 'partition_by':
      return typeof value === 'string' || (Array.isArray(value) && value.every((t) => typeof t === 'string')) ? undefined : 'partition_by must be a column or a list of columns';
    case 'strategy':
      return value === 'timestamp' || value === 'check' ? undefined : `strategy must be timestamp or check, not "${String(value)}"${didYouMean(String(value), ['timestamp', 'check'])}`;
    case 'updated_at':
      return typeof value === 'string' && value !== '' ? undefined : 'updated_at must be a column name';
    case 'invalidate_hard_deletes':
      return typeof value === 'boolean' ? undefined : 'invalidate_hard_deletes must be true or false';
    case 'check_cols':
    case 'unique_key':
    case 'pre_hook':
    case 'post_hook':
      return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'string'))
        ? undefined
        : `${key} must be a string or a list of strings`;
    case 'contract':
      return isRecord(value) && Object.keys(value).every((k) => k === 'enforced') && typeof value.enforced === 'boolean'
        ? undefined
        : 'contract must be {enforced: true} or {enforced: false}';
    case 'retention':
      return checkRetention(value);
    case 'column_types':
      return isRecord(value) && Object.values(value).every((t) => typeof t === 'string')
        ? undefined
        : 'column_types must map column names to DuckDB types';
    default:
      return undefined;
  }
}

/** A test threshold: a comparison operator and a whole number. */
export const THRESHOLD = /^\s*(>=|<=|!=|<>|==|=|>|<)\s*(\d+)\s*$/;

/** Whether `failures` meets a threshold such as ">10". */
export function meetsThreshold(threshold: string, failures: number): boolean {
  const m = THRESHOLD.exec(threshold);
  if (!m) return failures > 0;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return failures > n;
    case '>=':
      return failures >= n;
    case '<':
      return failures < n;
    case '<=':
      return failures <= n;
    case '=':
    case '==':
      return failures === n;
    default:
      return failures !== n;
  }
}

/** Merges layers, least specific first. Tags accumulate (as in dbt); meta merges; the rest overrides. */
export function mergeConfig(layers: readonly ConfigLayer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const tags = new Set<string>();
  for (const { values } of layers) {
    for (const [k, v] of Object.entries(values)) {
      if (k === 'tags') for (const t of typeof v === 'string' ? [v] : (v as string[])) tags.add(t);
      else if (k === 'meta') out.meta = { ...(out.meta as object | undefined), ...(v as object) };
      else out[k] = v;
    }
  }
  out.tags = [...tags];
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
