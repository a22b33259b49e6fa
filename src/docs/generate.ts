import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Session } from '../adapter/adapter.js';
import { databaseKind } from '../adapter/databases.js';
import { writeCatalog } from '../commands/catalog.js';
import type { ProjectContext } from '../commands/context.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { openInPlace } from '../publish/in-place.js';
import { redactDeep } from '../secrets.js';
import type { Manifest, Period } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { graphData } from './graph-data.js';
import { projectColumnLineage } from './lineage.js';
import type { DocsCode, DocsColumn, DocsData, DocsNode, DocsRelease, DocsResourceType, DocsRun } from './site/types.js';

/** Where `npm run build` puts the site's browser code (scripts/build-site.mjs): dist/docs/site beside this module. */
const SITE_ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'site');

/** How many of a node's last builds its page charts. */
export const RECENT_RUNS = 20;

/** A relation of catalog.json as the site and column lineage read it. */
interface CatalogRelationJson {
  readonly unique_id: string | null;
  readonly schema: string;
  readonly name: string;
  readonly type: string;
  readonly row_count: number | null;
  readonly bytes: number | null;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly data_type: string }>;
}

/** manifest.json's node, as far as the site reads it. */
interface ManifestNodeJson {
  readonly unique_id: string;
  readonly resource_type: string;
  readonly name: string;
  readonly original_file_path: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly config: Record<string, unknown>;
  readonly raw_code: string;
  readonly compiled_code?: string;
  readonly materialized?: string;
  readonly depends_on: { readonly nodes: readonly string[] };
  readonly relation?: { readonly schema: string; readonly name: string; readonly catalog?: string } | null;
  readonly columns?: ReadonlyArray<{ readonly name: string; readonly description: string; readonly data_type: string | null }>;
  readonly attached_node?: string | null;
  readonly column_name?: string | null;
  readonly severity?: string;
  readonly test_name?: string;
}

/** What the run history holds for the site (read-only from the target's `eider` schema). */
interface History {
  readonly runs: Map<string, DocsRun[]>;
  readonly tests: Map<string, NonNullable<DocsNode['last_result']>>;
  readonly freshness: Map<string, NonNullable<DocsNode['freshness']>['last']>;
  readonly releases: DocsRelease[];
}

const NO_HISTORY: History = { runs: new Map(), tests: new Map(), freshness: new Map(), releases: [] };

/**
 * `docs generate`: catalog.json (made when absent), the run history, column lineage (also written into
 * manifest.json), then target/docs/: index.html, the browser code and data.js. Returns where the site is.
 */
export async function generateDocs(ctx: ProjectContext, selected: ReadonlySet<string>): Promise<string> {
  const { manifest, artifacts, reporter } = ctx;
  const target = manifest.target;
  const notes: string[] = [];
  const kind = databaseKind(target.path);
  const fileExists = kind !== 'file' || existsSync(target.path);
  const catalogPath = join(artifacts.dir, 'catalog.json');
  if (kind === 'memory') notes.push(`target "${target.name}" is :memory:: no column types, no build history`);
  else if (!fileExists) notes.push(`target "${target.name}" has no file yet (${relative(process.cwd(), target.path) || target.path}): no column types, no build history; build it, then generate again`);
  else if (!existsSync(catalogPath)) await writeCatalog(manifest, artifacts, reporter);
  const catalog = kind !== 'memory' && fileExists && existsSync(catalogPath) ? readCatalog(catalogPath) : [];
  const history = kind !== 'memory' && fileExists ? await readHistory(manifest, (w) => reporter.warning(w)) : NO_HISTORY;

  const owned = new Map(catalog.filter((r) => r.unique_id).map((r) => [r.unique_id!, r]));
  const relations = new Map(catalog.filter((r) => r.unique_id).map((r) => [`${r.schema}.${r.name}`.toLowerCase(), { unique_id: r.unique_id!, columns: r.columns.map((c) => c.name) }]));
  const models = Object.values(manifest.nodes).flatMap((n) => (n.kind === 'model' && !n.js && selected.has(n.id) ? [{ unique_id: n.id, compiled_code: n.sql }] : []));
  const columnLineage = await projectColumnLineage(models, relations);
  artifacts.manifest(manifest, EIDER_VERSION, columnLineage);
  const json = JSON.parse(readFileSync(join(artifacts.dir, 'manifest.json'), 'utf8')) as { nodes: Record<string, ManifestNodeJson> };

  const nodes = Object.values(json.nodes).filter((n) => selected.has(n.unique_id));
  const data: DocsData = {
    schema_version: 1,
    generated_at: new Date().toISOString(),
    project: { name: manifest.projectName, target: target.name, overview: ctx.def.docs.find((b) => b.name === 'overview')?.text ?? null },
    notes,
    nodes: nodes.map((n, i) => ({ ...docsNode(n, manifest, ctx.def.paths.models, owned.get(n.unique_id), history), code_chunk: n.raw_code || n.compiled_code ? Math.floor(i / CODE_CHUNK) : null })),
    releases: history.releases,
    column_lineage: columnLineage,
    graph: graphData(json),
  };
  return artifacts.docsSite([...siteFiles(redactDeep(data)), ...codeFiles(nodes)]);
}

/** How many nodes' code one `code/<n>.js` holds. */
export const CODE_CHUNK = 250;

/** `code/<n>.js`: the nodes' template and compiled SQL, loaded by a page when its Code tab opens. */
function codeFiles(nodes: readonly ManifestNodeJson[]): Array<[string, string]> {
  const chunks: Array<Record<string, DocsCode>> = [];
  nodes.forEach((n, i) => {
    if (!n.raw_code && !n.compiled_code) return;
    (chunks[Math.floor(i / CODE_CHUNK)] ??= {})[n.unique_id] = { raw_code: n.raw_code, compiled_code: n.compiled_code ?? null };
  });
  return chunks.flatMap((chunk, k) => (chunk ? [[`code/${k}.js`, `window.EIDER_CODE(${k}, ${scriptJson(redactDeep(chunk))});\n`] as [string, string]] : []));
}

/** index.html and the browser code from dist/docs/site, and data.js (`window.EIDER_DOCS = …;`). */
function siteFiles(data: DocsData): Array<[string, string | Buffer]> {
  if (!existsSync(join(SITE_ASSETS, 'app.js'))) throw new Error(`the docs site's browser code is missing (${SITE_ASSETS}/app.js): run npm run build`);
  const assets = readdirSync(SITE_ASSETS).filter((f) => /^app\.js$|\.(html|css)$/.test(f));
  return [...assets.map((f): [string, Buffer] => [f, readFileSync(join(SITE_ASSETS, f))]), ['data.js', `window.EIDER_DOCS = ${scriptJson(data)};\n`]];
}

/** JSON that is safe inside a <script>: no `</script>`, `<!--` or line separators can end or break it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function readCatalog(path: string): CatalogRelationJson[] {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { relations: CatalogRelationJson[] }).relations ?? [];
  } catch {
    return [];
  }
}

function docsNode(n: ManifestNodeJson, manifest: Manifest, modelsPath: string, rel: CatalogRelationJson | undefined, history: History): DocsNode {
  const node = manifest.nodes[n.unique_id];
  const type: DocsResourceType = n.resource_type === 'model' && n.materialized === 'snapshot' ? 'snapshot' : (n.resource_type as DocsResourceType);
  const declared = n.columns ?? [];
  const described = new Map(declared.map((c) => [c.name.toLowerCase(), c]));
  const columns: DocsColumn[] = rel
    ? [
        ...rel.columns.map((c) => ({ name: c.name, description: described.get(c.name.toLowerCase())?.description ?? '', data_type: c.data_type })),
        ...declared.filter((c) => !rel.columns.some((r) => r.name.toLowerCase() === c.name.toLowerCase())).map((c) => ({ name: c.name, description: c.description, data_type: c.data_type })),
      ]
    : declared.map((c) => ({ name: c.name, description: c.description, data_type: c.data_type }));
  const freshness = node?.kind === 'source' && node.freshness && (node.freshness.warnAfter || node.freshness.errorAfter) ? node.freshness : undefined;
  return {
    unique_id: n.unique_id,
    resource_type: type,
    name: n.name,
    layer: layerOf(type, n.original_file_path, modelsPath),
    original_file_path: n.original_file_path,
    description: n.description,
    tags: n.tags,
    config: setConfig(n.config),
    code_chunk: null,
    depends_on: n.depends_on.nodes,
    relation: n.relation && !(n.resource_type === 'model' && n.materialized === 'ephemeral') ? [n.relation.catalog, n.relation.schema, n.relation.name].filter(Boolean).join('.') : null,
    columns,
    stats: rel ? { type: rel.type, row_count: rel.row_count, bytes: rel.bytes } : null,
    ...(n.resource_type === 'test' ? { test: { attached_node: n.attached_node ?? null, column_name: n.column_name ?? null, severity: n.severity ?? 'error', test_name: n.test_name ?? n.name } } : {}),
    ...(history.tests.has(n.unique_id) ? { last_result: history.tests.get(n.unique_id)! } : {}),
    ...(freshness ? { freshness: { warn_after: period(freshness.warnAfter), error_after: period(freshness.errorAfter), last: history.freshness.get(n.unique_id) ?? null } } : {}),
    runs: history.runs.get(n.unique_id) ?? [],
  };
}

/** The config keys that are set: no nulls, empty lists or empty maps (a lean data.js; manifest.json has them all). */
function setConfig(config: Record<string, unknown>): Record<string, unknown> {
  const empty = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  return Object.fromEntries(Object.entries(config).filter(([, v]) => !empty(v)));
}

function period(p: Period | undefined): string | null {
  return p ? `${p.count} ${p.period}${p.count === 1 ? '' : 's'}` : null;
}

/** A model's first folder under models/ ("models" at its top); other kinds by their plural. */
function layerOf(type: DocsResourceType, file: string, modelsPath: string): string {
  if (type !== 'model') return type === 'unit_test' ? 'tests' : `${type}s`;
  const rest = file.startsWith(`${modelsPath}/`) ? file.slice(modelsPath.length + 1) : file;
  return rest.includes('/') ? rest.split('/')[0] : 'models';
}

/** The target's run history, read-only; a table that is missing (an older file) or unreadable gives nothing. */
async function readHistory(manifest: Manifest, warn: (message: string) => void): Promise<History> {
  const adapter = await openInPlace(manifest.target, 1, warn, true);
  try {
    const s = adapter.sessions[0];
    const h = HISTORY_SCHEMA;
    const runs = new Map<string, DocsRun[]>();
    for (const r of await rows(s, `select node_id, release_id, started_at::varchar as at, status, duration_ms, rows from (select *, row_number() over (partition by node_id order by started_at desc) as n from ${h}.node_runs) where n <= ${RECENT_RUNS} order by node_id, started_at`)) {
      const id = String(r.node_id);
      if (!runs.has(id)) runs.set(id, []);
      runs.get(id)!.push({ release_id: String(r.release_id), started_at: String(r.at), status: String(r.status), duration_ms: num(r.duration_ms), rows: num(r.rows) });
    }
    const tests = new Map<string, NonNullable<DocsNode['last_result']>>();
    for (const r of await rows(s, `select node_id, status, failures, started_at::varchar as at from ${h}.test_results qualify row_number() over (partition by node_id order by started_at desc) = 1`)) {
      tests.set(String(r.node_id), { status: String(r.status), failures: num(r.failures), at: String(r.at) });
    }
    const freshness: History['freshness'] = new Map();
    for (const r of await rows(s, `select node_id, status, max_loaded_at::varchar as loaded, age_s, checked_at::varchar as at from ${h}.freshness_results qualify row_number() over (partition by node_id order by checked_at desc) = 1`)) {
      freshness.set(String(r.node_id), { status: String(r.status), max_loaded_at: r.loaded === null ? null : String(r.loaded), age_s: num(r.age_s), checked_at: String(r.at) });
    }
    const releases = (await rows(s, `select release_id, command, status, started_at::varchar as at from ${h}.releases order by started_at desc limit 20`)).map((r) => ({
      release_id: String(r.release_id),
      command: String(r.command),
      status: String(r.status),
      started_at: String(r.at),
    }));
    return { runs, tests, freshness, releases };
  } finally {
    await adapter.close();
  }
}

async function rows(s: Session, sql: string): Promise<Record<string, unknown>[]> {
  try {
    return await s.query(sql);
  } catch {
    return [];
  }
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** For `docs serve` and messages: the site's folder under target/. */
export function docsFolder(targetDir: string): string {
  return join(targetDir, 'docs');
}
