import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type BenchMaterialization = 'view' | 'table' | 'mixed';

/** The generated target's threads. */
export const BENCH_THREADS = 4;

/** Folder defaults of a mixed project: sources and marts as tables, the layers between as views. */
const MIXED: Record<string, 'view' | 'table'> = { sources: 'table', staging: 'view', intermediate: 'view', marts: 'table', features: 'table' };

const LAYERS = [
  { name: 'sources', share: 0.1 },
  { name: 'staging', share: 0.3 },
  { name: 'intermediate', share: 0.3 },
  { name: 'marts', share: 0.2 },
  { name: 'features', share: 0.1 },
] as const;

/** A seeded PRNG (mulberry32), so a size always gives the same project. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a synthetic eider project of `n` models in layers (10% sources, 30% staging, 30% intermediate,
 * 20% marts, 10% features). Each model past the source layer joins 1–3 models of earlier layers in ~20
 * lines of SQL; every model has the same five columns, so any model can join any other. One model in ten
 * has `not_null` and `unique` tests on its key. `rows` is the size of each source model (the default varies
 * it between 1,000 and 5,000 by model). `mixed` sets tables and views by folder in project.yml and turns one
 * view model in five into a table with an in-file `{{config}}`.
 */
export function generateProject(dir: string, n: number, materialized: BenchMaterialization, rows?: number): { models: number; tests: number } {
  rmSync(dir, { recursive: true, force: true });
  const rand = prng(n * 7919 + ['view', 'table', 'mixed'].indexOf(materialized));
  const layerOf: string[] = [];
  for (const l of LAYERS) for (let i = 0; i < Math.round(n * l.share); i++) layerOf.push(l.name);
  while (layerOf.length < n) layerOf.push('features');
  layerOf.length = n;

  mkdirSync(join(dir, 'profiles'), { recursive: true });
  const folderDefault = (layer: string) => (materialized === 'mixed' ? MIXED[layer] : materialized);
  writeFileSync(join(dir, 'project.yml'), `name: bench\nmodels:\n${LAYERS.map((l) => `  ${l.name}: { materialized: ${folderDefault(l.name)}, schema: ${l.name}, tags: [${l.name}] }\n`).join('')}`);
  writeFileSync(join(dir, 'profiles/profiles.yml'), `bench:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: ${BENCH_THREADS}\n`);

  const props = new Map<string, string[]>(LAYERS.map((l) => [l.name, ['models:']]));
  let tests = 0;
  for (let i = 0; i < n; i++) {
    const layer = layerOf[i];
    const name = modelName(i, layerOf);
    const body = layer === 'sources' ? sourceSql(i, rows ?? 1000 + ((i * 7919) % 4001)) : derivedSql(i, rand, layerOf);
    const sql = materialized === 'mixed' && folderDefault(layer) === 'view' && i % 5 === 0 ? `{{config materialized="table"}}\n${body}` : body;
    mkdirSync(join(dir, 'models', layer), { recursive: true });
    writeFileSync(join(dir, 'models', layer, `${name}.sql`), sql);
    const p = props.get(layer)!;
    p.push(`  - name: ${name}`, `    description: Synthetic ${layer} model number ${i}.`);
    if (i % 10 === 0) {
      p.push('    columns:', '      - name: id', '        description: The key.', '        tests: [not_null, unique]');
      tests += 2;
    }
  }
  for (const [layer, lines] of props) writeFileSync(join(dir, 'models', layer, `${layer}.yml`), `${lines.join('\n')}\n`);
  return { models: n, tests };
}

export function modelName(i: number, layerOf: readonly string[]): string {
  return `${layerOf[i].slice(0, 3)}_${String(i).padStart(5, '0')}`;
}

function sourceSql(i: number, rows: number): string {
  return [
    `-- Source model ${i}: generated rows.`,
    'select',
    '    range as id,',
    `    (range * ${(i % 13) + 3}) % 97 as k,`,
    `    ((range * ${(i % 17) + 11}) % 1000)::double as amount,`,
    `    'c' || ((range + ${i}) % 7) as category,`,
    `    timestamp '2024-01-01' + range * interval 1 minute as ts`,
    `from range(${rows})`,
    '',
  ].join('\n');
}

function derivedSql(i: number, rand: () => number, layerOf: readonly string[]): string {
  // Parents come from earlier models; most from the layer just before, some from anywhere upstream.
  const first = layerOf.indexOf(layerOf[i]);
  const parents = new Set<number>();
  const count = 1 + Math.floor(rand() * 3);
  while (parents.size < Math.min(count, first)) {
    const previousLayerStart = layerOf.indexOf(layerOf[first - 1]);
    const lo = rand() < 0.7 ? previousLayerStart : 0;
    parents.add(lo + Math.floor(rand() * (first - lo)));
  }
  const [p0, ...rest] = [...parents].map((p) => modelName(p, layerOf));
  const lines = [
    `-- ${layerOf[i]} model ${i}: joins ${parents.size} upstream model${parents.size > 1 ? 's' : ''}.`,
    'with base as (',
    '    select id, k, amount, category, ts',
    `    from {{ref "${p0}"}}`,
    '    where amount >= 0',
    ')',
  ];
  rest.forEach((p, j) => {
    lines.push(`, j${j} as (`, `    select id, sum(amount) as amount, count(*) as n`, `    from {{ref "${p}"}}`, '    group by id', ')');
  });
  lines.push(
    'select',
    '    base.id,',
    '    base.k,',
    `    base.amount${rest.map((_, j) => ` + coalesce(j${j}.amount, 0) * 0.5`).join('')} as amount,`,
    '    case when base.amount > 500 then \'high\'',
    '         when base.amount > 100 then \'mid\'',
    '         else base.category end as category,',
    '    base.ts',
    'from base',
    ...rest.map((_, j) => `left join j${j} using (id)`),
    '',
  );
  return lines.join('\n');
}
