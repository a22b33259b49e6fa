import { existsSync, readFileSync } from 'node:fs';
import type { Session } from '../adapter/adapter.js';
import { DuckDbAdapter, ExtensionMissing } from '../adapter/duckdb.js';
import { extensionError } from '../publish/in-place.js';
import { didYouMean, formatDiagnostic, type Diagnostic } from '../errors.js';
import { readCsv } from '../plan/materializations/seed.js';
import { redact } from '../secrets.js';
import { MOCK_SCHEMA, quoteIdent, quoteLiteral, quoteRelation, type Manifest, type ModelNode, type NodeId, type NodeResult, type RowsDef, type UnitTestNode } from '../types.js';
import { locateSqlError, sqlErrorMessage } from './sql-errors.js';

export interface UnitRunner {
  run(node: UnitTestNode): Promise<Pick<NodeResult, 'status' | 'message' | 'detail' | 'error' | 'failures'>>;
}

interface Column {
  readonly name: string;
  readonly type: string;
}

type Row = Readonly<Record<string, unknown>>;

/** Why a node's columns cannot be told, already naming the node that stops it. */
class UnknownColumns extends Error {}

/**
 * Runs unit tests on its own in-memory DuckDB: never the target file. The schema of every input is
 * inferred without data: seeds and file sources are read with LIMIT 0, table sources come from their
 * declared columns (or the seed they name), and models are created empty from their SQL, in DAG order
 * (JavaScript models, and models that cannot be, from their declared typed columns). Mock rows are cast
 * to those types, so a unit test runs the model's real SQL on exactly the types it will see; mock rows
 * for an input whose columns cannot be told are a mistake in the test.
 */
export class UnitTestRunner implements UnitRunner {
  private readonly schemas = new Map<NodeId, Column[] | null>();
  private readonly why = new Map<NodeId, string>();

  private constructor(
    private readonly manifest: Manifest,
    private readonly adapter: DuckDbAdapter,
    private readonly s: Session,
  ) {}

  static async open(manifest: Manifest): Promise<UnitTestRunner> {
    // The profile's extensions give models their functions; attached databases are not needed (inputs are mocks).
    const target = manifest.target;
    const adapter = await DuckDbAdapter.open({ path: ':memory:', threads: 1, extensions: target.extensions }).catch((e: unknown) => {
      throw e instanceof ExtensionMissing ? extensionError(target, e) : e;
    });
    await adapter.sessions[0].exec(`create schema ${quoteIdent(MOCK_SCHEMA)}`);
    return new UnitTestRunner(manifest, adapter, adapter.sessions[0]);
  }

  async close(): Promise<void> {
    await this.adapter.close();
  }

  /** Checks every given input against its inferred columns: mistakes in the test are diagnostics (exit 2). */
  async prepare(units: readonly UnitTestNode[]): Promise<Diagnostic[]> {
    const out: Diagnostic[] = [];
    for (const u of units) {
      for (const input of u.inputs) {
        if (!input.rows) continue;
        const schema = await this.schemaOf(input.nodeId);
        let rows: Row[];
        try {
          rows = readRows(input.rows);
        } catch (e) {
          out.push({ severity: 'error', file: input.origin?.file, line: input.origin?.line, message: `unit test "${u.name}": ${(e as Error).message}` });
          continue;
        }
        const inputName = this.manifest.nodes[input.nodeId].name;
        if (!schema) {
          out.push({
            severity: 'error',
            file: input.origin?.file,
            line: input.origin?.line,
            message: `unit test "${u.name}": cannot check the mock rows for ${inputName}: ${this.unknown(input.nodeId)}`,
          });
          continue;
        }
        const known = new Set(schema.map((c) => c.name.toLowerCase()));
        const bad = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !known.has(k.toLowerCase()));
        for (const b of bad) {
          out.push({
            severity: 'error',
            file: input.origin?.file,
            line: input.origin?.line,
            message: `unit test "${u.name}": mock rows for ${inputName} have a column "${b}" that ${inputName} does not have${didYouMean(b, schema.map((c) => c.name))}`,
          });
        }
      }
    }
    return out;
  }

  /** The unit tests running now share one in-memory database and its mock tables: one runs at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  run(node: UnitTestNode): Promise<Pick<NodeResult, 'status' | 'message' | 'detail' | 'error' | 'failures'>> {
    const result = this.queue.then(() => this.runAlone(node));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runAlone(node: UnitTestNode): Promise<Pick<NodeResult, 'status' | 'message' | 'detail' | 'error' | 'failures'>> {
    for (const input of node.inputs) {
      try {
        await this.s.exec(await this.mockTable(input.relation, input.nodeId, input.rows));
      } catch (e) {
        // Mock rows that do not fit the input's columns: at the given input in the test's YAML.
        const at = input.origin ?? node.origin;
        const message = `unit test "${node.name}": mock rows for ${this.manifest.nodes[input.nodeId].name}: ${sqlErrorMessage(String((e as Error).message))}`;
        return { status: 'error', message: 'error', error: redact(formatDiagnostic({ severity: 'error', file: at.file, line: at.line, message })) };
      }
    }
    let sql = '';
    try {
      sql = describeSql(`(\n${node.sql}\n)`);
      const actual = columnsOf(await this.s.query(sql));
      const expectedRows = readRows(node.expect);
      const expectedCols = expectedRows.length > 0 ? [...new Set(expectedRows.flatMap((r) => Object.keys(r)))] : actual.map((c) => c.name);
      const missingCols = expectedCols.filter((c) => !actual.some((a) => a.name.toLowerCase() === c.toLowerCase()));
      if (missingCols.length > 0) {
        return { status: 'fail', failures: 1, message: 'failed', detail: `expected column${missingCols.length > 1 ? 's' : ''} ${missingCols.join(', ')} not in the model's output (${actual.map((c) => c.name).join(', ')})` };
      }
      const cols = expectedCols.map((c) => actual.find((a) => a.name.toLowerCase() === c.toLowerCase())!);
      const list = cols.map((c) => quoteIdent(c.name)).join(', ');
      sql = [
        `with actual as (select ${list} from (\n${node.sql}\n) as eider_actual),`,
        `expected as (${selectRows(expectedRows, cols)}),`,
        `missing as (select * from expected except all select * from actual),`,
        `unexpected as (select * from actual except all select * from expected)`,
        `select 'missing' as eider_side, * from missing union all select 'unexpected', * from unexpected`,
      ].join('\n');
      const diff = await this.s.queryDisplay(sql);
      if (diff.rows.length === 0) return { status: 'pass', message: 'passed' };
      return { status: 'fail', failures: diff.rows.length, message: 'failed', detail: redact(formatDiff(diff.columns.slice(1), diff.rows, node.key)) };
    } catch (e) {
      const model = this.manifest.nodes[node.model];
      const located = locateSqlError(this.manifest.root, model, sql, String((e as Error).message));
      return { status: 'error', message: 'error', error: redact(formatDiagnostic({ severity: 'error', ...located })) };
    }
  }

  /** The mock relation for one input: the given rows cast to the input's columns, or none. */
  private async mockTable(rel: { schema: string; name: string }, nodeId: NodeId, rows: RowsDef | undefined): Promise<string> {
    const schema = await this.schemaOf(nodeId);
    if (!schema) throw new Error(`cannot mock ${this.manifest.nodes[nodeId].name}: ${this.unknown(nodeId)}`);
    // A table, not a view: a value that does not cast fails here, not inside the model's query.
    return `create or replace table ${quoteRelation(rel)} as ${selectRows(rows ? readRows(rows) : [], schema)}`;
  }

  private unknown(nodeId: NodeId): string {
    return `its columns cannot be told without the warehouse (${this.why.get(nodeId) ?? 'unknown'}); declare them, with a data_type, in a properties file`;
  }

  private async describe(from: string): Promise<Column[]> {
    return columnsOf(await this.s.query(describeSql(from)));
  }

  /** An empty table of declared columns, as DuckDB normalizes their types. */
  private async emptyTable(rel: { schema: string; name: string }, cols: readonly Column[]): Promise<Column[]> {
    await this.s.exec(`create schema if not exists ${quoteIdent(rel.schema)}`);
    await this.s.exec(`create or replace table ${quoteRelation(rel)} (${cols.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
    return this.describe(quoteRelation(rel));
  }

  /**
   * The columns of a node, without its data (null when they cannot be known without the warehouse; `why`
   * says which node stopped it). A model that cannot be built empty has its declared columns, when every
   * one has a data_type.
   */
  private async schemaOf(id: NodeId): Promise<Column[] | null> {
    if (this.schemas.has(id)) return this.schemas.get(id)!;
    const node = this.manifest.nodes[id];
    let cols: Column[] | null = null;
    try {
      for (const parent of node.dependsOn) {
        if ((await this.schemaOf(parent)) === null && node.kind === 'model') throw new UnknownColumns(this.why.get(parent) ?? `${this.manifest.nodes[parent].name} has unknown columns`);
      }
      switch (node.kind) {
        case 'seed':
          await this.s.exec(`create schema if not exists ${quoteIdent(node.relation.schema)}`);
          await this.s.exec(`create or replace table ${quoteRelation(node.relation)} as select * from ${readCsv(node)} limit 0`);
          cols = await this.describe(quoteRelation(node.relation));
          break;
        case 'source':
          if (node.files) cols = await this.describe(node.sql);
          else if (node.columns.length > 0) cols = await this.emptyTable(node.relation!, node.columns.map((c) => ({ name: c.name, type: c.dataType ?? 'VARCHAR' })));
          // Over a seed of the project: the seed, created above, is the table.
          else if (node.dependsOn.length > 0) cols = await this.describe(quoteRelation(node.relation!));
          else this.why.set(id, `source ${node.name} declares no columns`);
          break;
        case 'model':
          if (node.js) throw new UnknownColumns(`${node.name} is a JavaScript model`);
          if (node.materialized === 'ephemeral') cols = await this.describe(`(\n${node.sql}\n)`);
          else {
            // A snapshot's table has its history columns beside the query's.
            const scd = node.materialized === 'snapshot' ? ', null::timestamp as valid_from, null::timestamp as valid_to, true as is_current' : '';
            await this.s.exec(`create schema if not exists ${quoteIdent(node.relation.schema)}`);
            await this.s.exec(`create or replace table ${quoteRelation(node.relation)} as select *${scd} from (\n${node.sql}\n) as q limit 0`);
            cols = await this.describe(quoteRelation(node.relation));
          }
          break;
        default:
          break;
      }
    } catch (e) {
      this.why.set(id, e instanceof UnknownColumns ? e.message : `${node.name}: ${String((e as Error).message).split('\n')[0]}`);
      cols = node.kind === 'model' ? await this.declared(node) : null;
    }
    this.schemas.set(id, cols);
    return cols;
  }

  /** A model's declared columns as an empty table, when every one has a data_type (as a contract requires). */
  private async declared(node: ModelNode): Promise<Column[] | null> {
    if (node.columns.length === 0 || !node.columns.every((c) => c.dataType) || node.materialized === 'ephemeral') return null;
    try {
      return await this.emptyTable(node.relation, node.columns.map((c) => ({ name: c.name, type: c.dataType! })));
    } catch {
      return null;
    }
  }
}

/** The columns of a relation or a parenthesized query, without running it; as a statement, so its errors can be located. */
function describeSql(from: string): string {
  return `select column_name as name, column_type as type from (describe select * from ${from} as eider_describe)`;
}

function columnsOf(rows: readonly Row[]): Column[] {
  return rows.map((r) => ({ name: String(r.name), type: String(r.type) }));
}

/** `select cast(…) as col, …` per row, unioned; no rows gives the typed empty relation. */
function selectRows(rows: readonly Row[], cols: readonly Column[]): string {
  const lookup = (r: Row, name: string) => {
    const k = Object.keys(r).find((x) => x.toLowerCase() === name.toLowerCase());
    return k === undefined ? null : r[k];
  };
  const one = (r: Row | undefined) =>
    `select ${cols.map((c) => `cast(${literal(r ? lookup(r, c.name) : null)} as ${c.type}) as ${quoteIdent(c.name)}`).join(', ')}`;
  if (rows.length === 0) return `${one(undefined)} where false`;
  return rows.map(one).join('\nunion all ');
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'object') return quoteLiteral(JSON.stringify(v));
  return quoteLiteral(String(v));
}

/** Rows from mappings, inline CSV or a CSV fixture; in CSV an empty field is null. */
export function readRows(def: RowsDef): Row[] {
  if (def.kind === 'rows') return def.rows as Row[];
  const text = def.kind === 'csv' ? def.text : readFixture(def.path);
  const [header, ...body] = parseCsv(text);
  if (!header) return [];
  return body.filter((r) => r.length > 1 || r[0] !== '').map((r, i) => {
    if (r.length !== header.length) throw new Error(`CSV row ${i + 2} has ${r.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h.trim(), r[j] === '' ? null : r[j]]));
  });
}

function readFixture(path: string): string {
  if (!existsSync(path)) throw new Error(`fixture file not found: ${path}`);
  return readFileSync(path, 'utf8');
}

/** A small RFC 4180 reader: quoted fields, doubled quotes, CRLF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** Missing and unexpected rows as small tables; with a key, rows that differ only in some cells as changed cells. */
function formatDiff(columns: readonly string[], rows: readonly string[][], key?: readonly string[]): string {
  let missing = rows.filter((r) => r[0] === 'missing').map((r) => r.slice(1));
  let unexpected = rows.filter((r) => r[0] === 'unexpected').map((r) => r.slice(1));
  const out: string[] = [];
  const keyIdx = key?.map((k) => columns.findIndex((c) => c.toLowerCase() === k.toLowerCase())).filter((i) => i >= 0) ?? [];
  if (keyIdx.length > 0) {
    const keyOf = (r: readonly string[]) => keyIdx.map((i) => r[i]).join('\u0000');
    const changed: string[] = [];
    for (const m of missing) {
      const u = unexpected.find((x) => keyOf(x) === keyOf(m));
      if (!u) continue;
      const cells = columns.map((c, i) => (m[i] !== u[i] ? `${c}: expected ${m[i]}, got ${u[i]}` : '')).filter(Boolean);
      changed.push(`${keyIdx.map((i) => `${columns[i]}=${m[i]}`).join(', ')}: ${cells.join('; ')}`);
      unexpected = unexpected.filter((x) => x !== u);
      missing = missing.filter((x) => x !== m);
    }
    if (changed.length > 0) out.push(`changed (by key ${key!.join(', ')}):`, ...changed.map((c) => `  ${c}`));
  }
  const table = (title: string, rs: string[][]) => {
    if (rs.length === 0) return;
    const all = [columns as string[], ...rs];
    const widths = columns.map((_, i) => Math.max(...all.map((r) => r[i].length)));
    out.push(title, ...all.map((r) => `  | ${r.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`));
  };
  table(`missing (${missing.length} expected row${missing.length === 1 ? '' : 's'} not returned):`, missing);
  table(`unexpected (${unexpected.length} returned row${unexpected.length === 1 ? '' : 's'} not expected):`, unexpected);
  return out.join('\n');
}
