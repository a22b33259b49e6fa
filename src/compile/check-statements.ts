import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MORE_THAN_ONE_STATEMENT, type Adapter } from '../adapter/adapter.js';
import { duckdbPackageVersion } from '../adapter/version.js';
import { quoteLiteral } from '../types.js';
import { usageError, type Diagnostic } from '../errors.js';
import { makeFolder } from '../folders.js';
import { locateSqlError, sqlErrorMessage } from '../execute/sql-errors.js';
import { countQuery } from '../plan/plan.js';
import type { ProjectHook } from '../project/parse.js';
import { holdsSecret } from '../secrets.js';
import type { Manifest, Node, NodeId } from '../types.js';

interface Check {
  readonly sql: string;
  /** Where an error is reported: the node's file (at DuckDB's line), or a hook's own line. */
  readonly node?: Node;
  readonly at?: { readonly file: string; readonly line?: number; readonly what: string };
}

/** How many hashes target/.parsed-statements keeps at most. */
const MAX_KNOWN = 20_000;

/**
 * Hashes of texts DuckDB's parser found to be exactly one well-formed statement, kept in target/ between
 * commands, so the statements of an unchanged project are not parsed again (nor a parser opened). A text that
 * holds a secret is never kept. The key includes DuckDB's version: a new parser checks everything again.
 */
class KnownStatements {
  private readonly file?: string;
  private readonly hashes = new Set<string>();
  private readonly seen = new Map<string, string>();
  private readonly version = duckdbPackageVersion();

  constructor(targetDir: string | undefined) {
    if (targetDir === undefined) return;
    this.file = join(targetDir, '.parsed-statements');
    if (existsSync(this.file)) for (const h of readFileSync(this.file, 'utf8').split('\n')) this.hashes.add(h);
  }

  private hash(sql: string): string {
    return createHash('sha256').update(this.version).update('\0').update(sql).digest('hex').slice(0, 32);
  }

  /** Whether the text is known; its hash is remembered for `save` (hashing 12,000 statements twice cost 0.1 s). */
  has(sql: string): boolean {
    if (this.file === undefined) return false;
    const h = this.hash(sql);
    this.seen.set(sql, h);
    return this.hashes.has(h);
  }

  /** Adds the texts of this run that passed; past a bound, keeps only those (old versions do not pile up). Best effort. */
  save(passed: readonly string[]): void {
    if (this.file === undefined) return;
    const now = new Set(passed.filter((sql) => !holdsSecret(sql)).map((sql) => this.seen.get(sql) ?? this.hash(sql)));
    if ([...now].every((h) => this.hashes.has(h))) return;
    const keep = this.hashes.size + now.size > MAX_KNOWN ? now : new Set([...this.hashes, ...now]);
    try {
      makeFolder(dirname(this.file));
      writeFileSync(this.file, [...keep].join('\n'));
    } catch {
      // Only a cache: the next command parses again.
    }
  }
}

/**
 * Every statement that `compile`, `run` and `build` take from the project's templates — a model's SQL (and its
 * incremental form), its hooks, a test's query, a unit test's model, the project's hooks — must be exactly one
 * statement DuckDB parses. Checked before anything runs, so a `; drop table …` in a template or a `--vars`
 * value never executes. `statements` holds the texts that are more (or fewer) than one statement: an error in
 * every command. `syntax` holds the ones DuckDB cannot parse: `compile` reports them; `run` and `build` fail
 * those nodes without running any of their statements (a text that does not parse alone could parse as several
 * once wrapped, say in `copy (…) to`), while independent branches go on. `openParser` is called only when a text
 * is not known from an earlier command in `targetDir`; the parser is closed here.
 */
export async function checkStatements(
  manifest: Manifest,
  ids: Iterable<NodeId>,
  hooks: readonly ProjectHook[],
  openParser: () => Promise<Adapter>,
  targetDir?: string,
): Promise<{ statements: Diagnostic[]; syntax: Diagnostic[] }> {
  const checks: Check[] = [];
  const wanted = new Set(ids);
  for (const id of wanted) {
    const node = manifest.nodes[id];
    const hook = (what: string) => (sql: string) => checks.push({ sql, at: { file: node.origin.file, line: node.origin.line, what } });
    if (node.kind === 'model' && !node.js) {
      checks.push({ sql: node.sql, node });
      if (node.incremental && node.incremental.sql !== node.sql) checks.push({ sql: node.incremental.sql, node });
      node.preHooks.forEach(hook('pre_hook'));
      node.postHooks.forEach(hook('post_hook'));
    } else if (node.kind === 'test') {
      // Its query alone, and as eider runs it (wrapped in a count): a `)` cannot break out of the wrapping.
      checks.push({ sql: node.sql, node }, { sql: countQuery(node.sql), node });
    }
    // A unit test runs its model's template against mocks: checked here when the model itself is not.
    else if (node.kind === 'unit_test' && !wanted.has(node.model)) checks.push({ sql: node.sql, node: manifest.nodes[node.model] });
  }
  for (const h of hooks) checks.push({ sql: h.sql, at: { file: h.file, line: h.line, what: h.key } });
  const known = new KnownStatements(targetDir);
  const todo = checks.map((_, i) => i).filter((i) => !known.has(checks[i].sql));
  const errors: Array<string | undefined> = new Array(checks.length).fill(undefined);
  if (todo.length > 0) {
    const parser = await openParser();
    try {
      (await parser.parseErrors(todo.map((i) => checks[i].sql))).forEach((error, j) => (errors[todo[j]] = error));
    } finally {
      await parser.close();
    }
  }
  known.save(checks.filter((_, i) => errors[i] === undefined).map((c) => c.sql));
  const out = { statements: [] as Diagnostic[], syntax: [] as Diagnostic[] };
  const reported = new Set<NodeId>();
  errors.forEach((error, i) => {
    if (!error) return;
    const into = error.startsWith(MORE_THAN_ONE_STATEMENT) ? out.statements : out.syntax;
    const { node, at, sql } = checks[i];
    if (node && !reported.has(node.id)) {
      reported.add(node.id);
      into.push({ severity: 'error', nodeId: node.id, ...locateSqlError(manifest.root, node, sql, error) });
    } else if (at) into.push({ severity: 'error', file: at.file, line: at.line, message: `${at.what}: ${sqlErrorMessage(error)}` });
  });
  return out;
}

/**
 * A filter given on the command line (`export --where`), spliced into `… where (<predicate>)`: it must be one
 * statement there (no `; drop table x`), and DuckDB's own parse tree of `select 1 where (<predicate>)` must be that
 * and nothing more — no way out of the parentheses into a UNION, ORDER BY, GROUP BY or a second statement.
 */
export async function checkPredicate(parser: Adapter, flag: string, predicate: string): Promise<void> {
  const sql = `select 1 where (${predicate}\n)`;
  const [alone, error] = await parser.parseErrors([`select 1 where ${predicate}`, sql]);
  const refuse = (why: string) => usageError(`${flag} must be one SQL condition, e.g. ${flag} "amount > 100 and status = 'paid'": ${why}`);
  if (alone?.startsWith(MORE_THAN_ONE_STATEMENT)) throw refuse('it holds more than one statement');
  if (error) throw refuse(error.startsWith(MORE_THAN_ONE_STATEMENT) ? 'it holds more than one statement' : sqlErrorMessage(error));
  const [row] = await parser.sessions[0].query(`select json_serialize_sql(${quoteLiteral(sql)}) as tree`);
  const node = (JSON.parse(String(row.tree)) as { statements?: Array<{ node: Record<string, unknown> }> }).statements?.[0]?.node;
  const bare = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v as object).length === 0);
  const extra = ['modifiers', 'group_expressions', 'having', 'qualify', 'sample'].filter((k) => !bare(node?.[k]));
  const cte = node?.cte_map as { map?: unknown[] } | undefined;
  if (node?.type !== 'SELECT_NODE' || extra.length > 0 || !bare(cte?.map)) throw refuse('it reaches out of its parentheses into the query around it');
}
