import { createHash } from 'node:crypto';
import type { ConfigKind } from '../project/config.js';
import type { ResourceProps, SourceTableDef } from '../project/properties.js';
import { redact } from '../secrets.js';
import type { Fingerprint } from '../types.js';

/** Hex sha256 of a file's text or bytes. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha256 of a value as JSON, secrets redacted first: a checksum never reveals one. Keys keep their written order
 * (JSON.stringify is native and fast; this runs for every node): reordering a YAML mapping counts as a change.
 */
export function valueChecksum(value: unknown): string {
  return sha256(redact(JSON.stringify(value) ?? 'null'));
}

/** Every key a user may configure, with the value it has when nobody writes it (null: none). */
const DEFAULTS: Readonly<Record<ConfigKind, Readonly<Record<string, unknown>>>> = {
  model: {
    materialized: 'view',
    schema: null,
    alias: null,
    tags: [],
    enabled: true,
    meta: {},
    contract: { enforced: false },
    incremental_strategy: null,
    unique_key: [],
    on_schema_change: 'ignore',
    pre_hook: [],
    post_hook: [],
    strategy: 'timestamp',
    updated_at: null,
    check_cols: [],
    invalidate_hard_deletes: false,
    location: null,
    format: 'parquet',
    partition_by: [],
    event_time: null,
    batch_size: 'day',
    lookback: 1,
    begin: null,
  },
  seed: { schema: null, alias: null, tags: [], enabled: true, meta: {}, column_types: {}, delimiter: ',' },
  test: { severity: 'error', tags: [], enabled: true, meta: {}, warn_if: '!=0', error_if: '!=0', where: null, limit: null, store_failures: false },
};

/** Keys holding a list of columns, which a template may write as one comma-separated string. */
const COLUMN_LISTS = new Set(['unique_key', 'check_cols', 'partition_by']);

/**
 * The merged config with every key of its kind and each default filled in, lists normalized: two configs that
 * build the same thing are equal however they were written (in the file, in YAML, a default spelled out).
 * `schema` stays null unless set: the target's schema is not config, so another target compares equal.
 */
export function resolvedConfig(kind: ConfigKind, merged: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...DEFAULTS[kind] };
  for (const [k, v] of Object.entries(merged)) {
    if (v === undefined) continue;
    if (COLUMN_LISTS.has(k)) out[k] = columnList(v);
    else if (k === 'pre_hook' || k === 'post_hook') out[k] = typeof v === 'string' ? [v] : v;
    else out[k] = v;
  }
  out.tags = [...new Set(out.tags as string[])].sort();
  if (kind === 'model') {
    out.incremental_strategy ??= (out.unique_key as string[]).length > 0 ? 'merge' : 'append';
    out.location ??= `${name}.${String(out.format)}`;
  }
  return out;
}

export function columnList(v: unknown): string[] {
  const items = v === undefined ? [] : typeof v === 'string' ? [v] : (v as string[]);
  return items.flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
}

/** A model's or seed's properties entry, beside its config (compared as config): docs, columns, meta, freshness. */
export function resourceProperties(props: ResourceProps | undefined): Fingerprint['properties'] {
  // No entry says what an empty one says: adding an entry for config alone changes no property.
  const { description = '', columns = [], meta = {}, freshness = undefined } = props ?? {};
  return { origin: props?.origin, checksum: valueChecksum({ description, columns, meta, freshness }) };
}

/** A source table's entry, its tests left out (they are nodes of their own). */
export function sourceProperties(s: SourceTableDef): Fingerprint['properties'] {
  const { tests: _tests, origin, databaseOrigin: _at, ...rest } = s;
  return { origin, checksum: valueChecksum(rest) };
}

/** The vars a template reads, each with its value's checksum (null: not set). */
export function varChecksums(names: ReadonlySet<string>, vars: Readonly<Record<string, unknown>>, cache: Map<string, string | null>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of [...names].sort()) {
    let sum = cache.get(name);
    if (sum === undefined) {
      sum = Object.hasOwn(vars, name) ? valueChecksum(vars[name]) : null;
      cache.set(name, sum);
    }
    out[name] = sum;
  }
  return out;
}
