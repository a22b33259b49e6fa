import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, readdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync, type BigIntStats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { redact, redactDeep } from '../secrets.js';
import type { ColumnLineage } from '../docs/site/types.js';
import type { FreshnessResult } from '../execute/freshness.js';
import type { ColumnDef, Manifest, Node, RunArgs, RunResult } from '../types.js';

export const MANIFEST_SCHEMA = 'https://eider.dev/schemas/manifest/v2.json';
export const RUN_RESULTS_SCHEMA = 'https://eider.dev/schemas/run-results/v1.json';
export const SOURCES_SCHEMA = 'https://eider.dev/schemas/sources/v1.json';

/** The one place that writes files into target/. Secrets are redacted from everything written. */
export class Artifacts {
  constructor(readonly dir: string) {}

  /** Writes a JSON artifact, its values redacted before serializing (JSON escaping would hide a secret from `redact`). */
  private writeJson(rel: string, body: unknown): string {
    const path = join(this.dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(redactDeep(body), null, 1));
    return path;
  }

  /**
   * manifest.json, written as it is built: one line per node (and per map entry), so a large project's manifest
   * is never held whole in memory. `eider docs generate` adds each model's `column_lineage`. Returns the file's stat
   * as this write left it.
   */
  manifest(m: Manifest, eiderVersion: string, columnLineage?: ColumnLineage): BigIntStats {
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(join(this.dir, 'manifest.json'), 'w');
    let buffer = '';
    const write = (text: string) => {
      buffer += text;
      if (buffer.length < 1 << 16) return;
      writeSync(fd, buffer);
      buffer = '';
    };
    try {
      let first = true;
      for (const [key, value] of manifestSections(m, eiderVersion, columnLineage)) {
        write(`${first ? '{' : ',\n'}${JSON.stringify(key)}:`);
        first = false;
        if (!(value instanceof Entries)) {
          write(JSON.stringify(redactDeep(value)));
          continue;
        }
        let firstEntry = true;
        for (const [k, v] of value) {
          write(`${firstEntry ? '{\n' : ',\n'}${JSON.stringify(redact(k))}:${JSON.stringify(redactDeep(v))}`);
          firstEntry = false;
        }
        write(firstEntry ? '{}' : '\n}');
      }
      write('}\n');
      writeSync(fd, buffer);
      return fstatSync(fd, { bigint: true });
    } finally {
      closeSync(fd);
    }
  }

  runResults(run: RunResult, m: Manifest, eiderVersion: string): void {
    const body = {
      metadata: { schema_version: RUN_RESULTS_SCHEMA, eider_version: eiderVersion, generated_at: new Date().toISOString(), invocation_id: m.invocationId },
      command: run.command,
      target: m.target.name,
      args: run.args ? argsJson(run.args) : null,
      release: run.release ?? null,
      started_at: run.startedAt,
      elapsed_ms: run.elapsedMs,
      results: run.results.map((r) => ({
        unique_id: r.nodeId,
        status: r.status,
        started_at: r.startedAt,
        duration_ms: r.durationMs,
        rows: r.rows ?? null,
        rows_expired: r.expired ?? null,
        rows_erased: r.erased ?? null,
        failures: r.failures ?? null,
        failing_rows: r.sample ?? null,
        message: r.message,
        error: r.error ?? null,
      })),
    };
    this.writeJson('run_results.json', body);
  }

  /** target/sources.json: the last freshness check. */
  sources(results: readonly FreshnessResult[], m: Manifest, eiderVersion: string): void {
    const body = {
      metadata: { schema_version: SOURCES_SCHEMA, eider_version: eiderVersion, generated_at: new Date().toISOString(), invocation_id: m.invocationId },
      results: results.map((r) => ({
        unique_id: r.nodeId,
        status: r.status,
        max_loaded_at: r.newest?.toISOString() ?? null,
        max_loaded_at_time_ago_in_s: r.ageMs !== undefined ? Math.round(r.ageMs / 1000) : null,
        measured_by: r.basis,
        criteria: { warn_after: r.criteria.warnAfter ?? null, error_after: r.criteria.errorAfter ?? null },
        error: r.error ?? null,
      })),
    };
    this.writeJson('sources.json', body);
  }

  /** target/catalog.json: the target's relations as DuckDB describes them (`catalogJson`). */
  catalog(body: Record<string, unknown>): string {
    return this.writeJson('catalog.json', body);
  }

  /** target/docs/: the documentation site's files (`eider docs generate`), replacing what an earlier one left there. Returns the folder. */
  docsSite(files: ReadonlyArray<readonly [string, string | Buffer]>): string {
    const dir = join(this.dir, 'docs');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, body] of files) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), typeof body === 'string' ? redact(body) : body);
    }
    return dir;
  }

  /**
   * manifest.json again with another generated_at and invocation_id, its nodes untouched: its first line (the metadata)
   * rewritten in place when the new one has the same length. Returns the file's stat as this write left it, or
   * undefined when it could not.
   */
  restampManifest(generatedAt: string, invocationId: string): BigIntStats | undefined {
    const path = join(this.dir, 'manifest.json');
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r+');
      const head = Buffer.alloc(4096);
      const line = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8').split('\n')[0];
      const prefix = '{"metadata":';
      if (!line.startsWith(prefix) || !line.endsWith(',')) return undefined;
      const metadata = JSON.parse(line.slice(prefix.length, -1)) as Record<string, unknown>;
      const next = `${prefix}${JSON.stringify(redactDeep({ ...metadata, generated_at: generatedAt, invocation_id: invocationId }))},`;
      if (Buffer.byteLength(next) !== Buffer.byteLength(line)) return undefined;
      writeSync(fd, next, 0, 'utf8');
      return fstatSync(fd, { bigint: true });
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** compiled/'s index of the files it holds. */
  get compiledIndex(): string {
    return join(this.dir, 'compiled', '.index.json');
  }

  /** compiled/ and every folder under it that holds a file its index lists (a file removed from one changes its times). */
  compiledFolders(): string[] | undefined {
    try {
      const root = join(this.dir, 'compiled');
      const folders = new Set([root]);
      for (const rel of Object.keys(JSON.parse(readFileSync(this.compiledIndex, 'utf8')) as Record<string, string>)) {
        for (let d = dirname(join(root, rel)); d.length > root.length && !folders.has(d); d = dirname(d)) folders.add(d);
      }
      return [...folders];
    } catch {
      return undefined;
    }
  }

  /**
   * target/compiled/<the node's own path>: the SQL each node runs. An index of content hashes lets a
   * re-compile write only the files that changed (and remove the ones whose node is gone).
   */
  compiled(m: Manifest): void {
    const root = join(this.dir, 'compiled');
    const indexPath = this.compiledIndex;
    let previous: Record<string, string> = {};
    try {
      previous = JSON.parse(readFileSync(indexPath, 'utf8')) as Record<string, string>;
    } catch {
      previous = {};
    }
    const index: Record<string, string> = {};
    const dirs = new Set<string>();
    // One listing instead of a stat per file (6,000 of them cost 50 ms): a file the index knows but a user deleted
    // is written again.
    let present: Set<string>;
    try {
      present = new Set((readdirSync(root, { recursive: true }) as string[]).map((f) => f.split(sep).join('/')));
    } catch {
      present = new Set();
    }
    for (const n of Object.values(m.nodes)) {
      const sql = compiledSql(n);
      if (sql === undefined) continue;
      const rel = redact(compiledPath(n));
      const text = redact(`${sql.trim()}\n`);
      const hash = createHash('sha1').update(text).digest('base64');
      index[rel] = hash;
      if (previous[rel] === hash && present.has(rel)) continue;
      const path = join(root, rel);
      const dir = dirname(path);
      if (!dirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        dirs.add(dir);
      }
      writeFileSync(path, text);
    }
    for (const rel of Object.keys(previous)) if (!(rel in index)) rmSync(join(root, rel), { force: true });
    mkdirSync(root, { recursive: true });
    writeFileSync(indexPath, JSON.stringify(index));
  }

}

function argsJson(a: RunArgs): Record<string, unknown> {
  return {
    select: a.select ?? null,
    exclude: a.exclude ?? null,
    full_refresh: a.fullRefresh === true,
    event_time_start: a.eventTimeStart ?? null,
    event_time_end: a.eventTimeEnd ?? null,
    empty: a.empty === true,
    fail_on_stale_sources: a.failOnStaleSources === true,
    vars_given: a.varsGiven,
    defer: a.defer ? { state: a.defer.state, defer_target: a.defer.target ?? null } : null,
  };
}

/** A section of manifest.json built one entry at a time. */
class Entries implements Iterable<[string, unknown]> {
  constructor(private readonly entries: () => Iterable<[string, unknown]>) {}
  [Symbol.iterator](): Iterator<[string, unknown]> {
    return this.entries()[Symbol.iterator]();
  }
}

/**
 * manifest.json's sections in order (schema v2, see README "manifest.json"): every node with what it is made from,
 * the macros, and the graph both ways. Written by `Artifacts.manifest`; `manifestJson` is the same as one object.
 */
function manifestSections(m: Manifest, eiderVersion: string, columnLineage?: ColumnLineage): Array<[string, unknown]> {
  const nodes = Object.values(m.nodes);
  const children = (): Iterable<[string, unknown]> => {
    const map = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
    for (const n of nodes) for (const d of n.dependsOn) map.get(d)?.push(n.id);
    return map;
  };
  return [
    ['metadata', { schema_version: MANIFEST_SCHEMA, eider_version: eiderVersion, generated_at: m.generatedAt, invocation_id: m.invocationId, project_name: m.projectName }],
    ['target', { profile: m.target.profile, name: m.target.name, threads: m.target.threads, schema: m.target.schema }],
    ['nodes', new Entries(function* () {
      for (const n of nodes) yield [n.id, columnLineage?.[n.id] ? { ...nodeJson(n), column_lineage: columnLineage[n.id] } : nodeJson(n)];
    })],
    ['macros', Object.fromEntries(Object.values(m.macros).map((d) => [d.id, { unique_id: d.id, name: d.name, resource_type: d.kind, original_file_path: d.file, checksum: { name: 'sha256', checksum: d.checksum } }]))],
    ['parent_map', new Entries(() => nodes.map((n) => [n.id, n.dependsOn]))],
    ['child_map', new Entries(children)],
  ];
}

/** manifest.json's body as one object, as it is written (secrets redacted): what `--state` compares with. */
export function manifestJson(m: Manifest, eiderVersion: string): Record<string, unknown> {
  return redactDeep(Object.fromEntries(manifestSections(m, eiderVersion).map(([k, v]) => [k, v instanceof Entries ? Object.fromEntries(v) : v])));
}

/** The SQL a node runs; none for a JavaScript/TypeScript model, whose module is its source. */
function compiledSql(n: Node): string | undefined {
  if (n.kind === 'model') return n.js ? undefined : n.sql;
  return n.kind === 'test' ? n.sql : undefined;
}

/** Where a node's compiled SQL goes under target/compiled. */
function compiledPath(n: Node): string {
  return n.kind === 'test' && n.testType === 'generic' ? `tests/generic/${n.name}.sql` : n.origin.file;
}

/** A node as manifest.json holds it: the keys every node has, then its kind's. */
function nodeJson(n: Node): Record<string, unknown> {
  const f = n.fingerprint;
  const base = {
    unique_id: n.id,
    resource_type: n.kind,
    name: n.name,
    original_file_path: n.origin.file,
    description: n.description,
    tags: n.tags,
    meta: n.meta,
    config: f.config,
    raw_code: f.rawCode,
    checksum: { name: 'sha256', checksum: f.checksum },
    depends_on: { nodes: n.dependsOn, macros: f.macros },
    vars: f.vars,
    patch_path: f.properties.origin ? `${f.properties.origin.file}:${f.properties.origin.line ?? 1}` : null,
    properties_checksum: f.properties.checksum,
  };
  switch (n.kind) {
    case 'model':
      return Object.assign(base, { materialized: n.materialized, relation: n.relation, columns: columnsJson(n.columns), compiled_code: n.sql });
    case 'seed':
      return Object.assign(base, { relation: n.relation, column_types: n.columnTypes, columns: columnsJson(n.columns) });
    case 'source':
      return Object.assign(base, { source_name: n.sourceName, table_name: n.tableName, relation: n.relation ?? null, files: n.files ? { path: n.files.path, format: n.files.format, hive_partitioning: n.files.hivePartitioning ?? null } : null, columns: columnsJson(n.columns) });
    case 'test':
      return Object.assign(base, {
        test_type: n.testType,
        test_name: n.testName,
        attached_node: n.attachedTo ?? null,
        column_name: n.column ?? null,
        severity: n.severity,
        warn_if: n.warnIf,
        error_if: n.errorIf,
        store_failures: n.storeFailures,
        compiled_code: n.sql,
      });
    case 'unit_test':
      return Object.assign(base, { model: n.model, inputs: n.inputs.map((i) => ({ node: i.nodeId, relation: i.relation, given: i.rows !== undefined })), key: n.key ?? null, compiled_code: n.sql });
  }
}

function columnsJson(columns: readonly ColumnDef[]): Array<Record<string, unknown>> {
  return columns.map((c) => ({ name: c.name, description: c.description, data_type: c.dataType ?? null, meta: c.meta }));
}
