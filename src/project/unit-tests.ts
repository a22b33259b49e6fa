import { parseRefTarget, type RefTarget } from '../compile/generic-tests.js';
import type { Diagnostic } from '../errors.js';
import type { Origin, RowsDef } from '../types.js';
import type { SourceFile } from './load.js';
import { YamlFile, type YNode } from './yaml.js';


export interface UnitInputDef {
  readonly input: RefTarget;
  readonly inputText: string;
  readonly rows: RowsDef;
  readonly origin: Origin;
}

/** A unit test as written in tests/**.yml: a model, mock rows for its inputs, and the rows it must return. */
export interface UnitTestDef {
  readonly name: string;
  readonly description: string;
  readonly model: string;
  readonly given: readonly UnitInputDef[];
  readonly expect: RowsDef;
  /** Columns that identify a row, so a diff can show changed cells. */
  readonly key?: readonly string[];
  readonly tags: readonly string[];
  readonly origin: Origin;
}

const TEST_KEYS = ['name', 'description', 'model', 'given', 'expect', 'config', 'tags'];
const GIVEN_KEYS = ['input', 'rows', 'format', 'fixture'];
const EXPECT_KEYS = ['rows', 'format', 'fixture', 'key'];

export function parseUnitTests(files: readonly SourceFile[], diagnostics: Diagnostic[]): UnitTestDef[] {
  const out: UnitTestDef[] = [];
  for (const f of files) {
    const y = new YamlFile(f.path, f.text, diagnostics);
    if (!y.root) continue;
    const top = y.entries(y.root, f.path, ['version', 'unit_tests']);
    for (const item of y.items(top.get('unit_tests'), 'unit_tests')) {
      const e = y.entries(item, 'unit test', TEST_KEYS);
      const name = y.string(e.get('name'), 'name');
      const model = y.string(e.get('model'), 'model');
      if (!name || !model) {
        y.error(item, 'a unit test needs a name and a model');
        continue;
      }
      const given: UnitInputDef[] = [];
      for (const g of y.items(e.get('given'), 'given')) {
        const ge = y.entries(g, 'given input', GIVEN_KEYS);
        const inputText = y.string(ge.get('input'), 'input');
        const input = inputText ? parseRefTarget(inputText) : undefined;
        if (!input) {
          y.error(g, `unit test "${name}": input must be ref('model') or source('source', 'table')`);
          continue;
        }
        const rows = rowsDef(y, g, ge, `input ${inputText} of unit test "${name}"`);
        if (rows) given.push({ input, inputText: inputText!, rows, origin: { file: y.file, line: g.line } });
      }
      const exp = e.get('expect');
      const ee = y.entries(exp, 'expect', EXPECT_KEYS);
      if (!exp) y.error(item, `unit test "${name}" needs expect: {rows: […]}`);
      const expectRows = exp ? rowsDef(y, exp, ee, `expect of unit test "${name}"`) : undefined;
      if (!expectRows) continue;
      const config = y.entries(e.get('config'), 'config', ['tags']);
      out.push({
        name,
        description: y.string(e.get('description'), 'description') ?? '',
        model,
        given,
        expect: expectRows,
        key: y.strings(ee.get('key'), 'key'),
        tags: [...(y.strings(e.get('tags'), 'tags') ?? []), ...(y.strings(config.get('tags'), 'tags') ?? [])],
        origin: { file: y.file, line: item.line },
      });
    }
  }
  return out;
}

function rowsDef(y: YamlFile, at: YNode, e: Map<string, YNode>, what: string): RowsDef | undefined {
  const format = y.string(e.get('format'), 'format') ?? 'dict';
  if (format !== 'dict' && format !== 'csv') {
    y.error(e.get('format'), `format must be dict or csv, not "${format}"`);
    return undefined;
  }
  const fixture = y.string(e.get('fixture'), 'fixture');
  const rows = e.get('rows');
  if (fixture && rows) {
    y.error(at, `${what}: give rows or a fixture, not both`);
    return undefined;
  }
  if (fixture) return { kind: 'fixture', path: fixture };
  if (!rows) {
    y.error(at, `${what} needs rows (or a fixture CSV file)`);
    return undefined;
  }
  if (format === 'csv') {
    const text = y.string(rows, 'rows');
    return text === undefined ? undefined : { kind: 'csv', text };
  }
  const list = y.items(rows, 'rows');
  const bad = list.find((r) => r.value === null || typeof r.value !== 'object' || Array.isArray(r.value));
  if (bad) {
    y.error(bad, `${what}: each row is a mapping of column to value`);
    return undefined;
  }
  return { kind: 'rows', rows: list.map((r) => r.value as Record<string, unknown>) };
}
