import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from '../types.js';

export interface LocatedError {
  readonly message: string;
  readonly file: string;
  readonly line?: number;
}

/**
 * Turns a DuckDB error into `file:line: message` at the node's own file. DuckDB quotes the failing
 * SQL line ("LINE 3: …"); we find that line in the template, and drop the quote from the message.
 */
export function locateSqlError(root: string, node: Node, statement: string, error: string): LocatedError {
  let message = sqlErrorMessage(error);
  // eider's own checks (contracts, unique keys, the columns a config names) raise their message with error():
  // it is the whole message, not an "Invalid Input Error".
  if (statement.includes('select error(') && message.startsWith('Invalid Input Error: ')) message = message.slice('Invalid Input Error: '.length);
  if (node.kind === 'seed') {
    // A column_types entry that names no column of the CSV, or no type: at the line that declares it.
    if (node.columnTypesOrigin && /COLUMN_TYPES|Type with name/i.test(error)) return { message, file: node.columnTypesOrigin.file, line: node.columnTypesOrigin.line };
    const csv = csvError(node.path, error, node.delimiter ?? ',');
    return { message: csv?.detail ?? message, file: node.origin.file, line: csv?.line };
  }
  // A contract's data_type DuckDB does not know: at the properties entry that declares it.
  const unknownType = /Type with name (\S+) does not exist/i.exec(error)?.[1];
  const typed = node.kind === 'model' && unknownType ? node.contract?.find((c) => c.dataType.toLowerCase().startsWith(unknownType.toLowerCase())) : undefined;
  const declared = typed && node.fingerprint.properties.origin;
  if (typed && declared) return { message: `contract: column ${typed.name} has data_type ${typed.dataType}: ${message}`, file: declared.file, line: declared.line };
  const lineNo = /\nLINE (\d+):/.exec(error)?.[1];
  // A test declared in YAML is at its declaration: its SQL's lines are a macro's, not the YAML's.
  if (!lineNo || /\.ya?ml$/.test(node.origin.file)) return { message, file: node.origin.file, line: node.origin.line };
  // The template as the compile read it (`show --inline` has no file); else the node's file.
  const template = 'fingerprint' in node && node.fingerprint.rawCode !== '' ? node.fingerprint.rawCode : readText(join(root, node.origin.file));
  return { message, file: node.origin.file, line: template === undefined ? undefined : templateLine(template, statement, Number(lineNo)) };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A DuckDB error without the SQL it quotes ("LINE 3: …"): its first lines, joined into one. */
export function sqlErrorMessage(error: string): string {
  const [head] = error.split(/\n\s*\nLINE \d+:/);
  return head.split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' ').trim();
}

/** The line of the template's `text` that DuckDB's `line` of `statement` came from. */
function templateLine(text: string, statement: string, line: number): number | undefined {
  const wanted = statement.split('\n')[line - 1]?.trim();
  const template = text.split('\n');
  if (!wanted) return undefined;
  const matches = template.map((l, i) => (l.trim() === wanted ? i + 1 : 0)).filter((i) => i > 0);
  if (matches.length > 0) return matches.reduce((best, i) => (Math.abs(i - line) < Math.abs(best - line) ? i : best));
  // The line holds rendered helpers: match on its first word-run that is literal text in the template.
  const words = wanted.split(/\s+/).filter((w) => w.length > 3 && !w.includes('"'));
  for (const w of words) {
    const i = template.findIndex((l) => l.includes(w));
    if (i >= 0) return i + 1;
  }
  return undefined;
}

/** Where a CSV is malformed: DuckDB's line when it gives one, else the first row whose field count differs from the header's. */
function csvError(path: string, error: string, delimiter: string): { line: number; detail?: string } | undefined {
  const m = /(?:Line|line):\s*(\d+)/.exec(error);
  if (m) return { line: Number(m[1]) };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let expected = -1;
  let fields = 1;
  let inQuotes = false;
  let line = 1;
  let rowStart = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === delimiter && !inQuotes) fields++;
    if (ch === '\n') {
      line++;
      if (!inQuotes) {
        if (expected < 0) expected = fields;
        else if (fields !== expected) return { line: rowStart, detail: `malformed CSV: this row has ${fields} fields, the header has ${expected}` };
        fields = 1;
        rowStart = line;
      }
    }
  }
  if (inQuotes) return { line: rowStart, detail: 'malformed CSV: a quoted field is never closed' };
  if (expected >= 0 && !text.endsWith('\n') && fields !== expected) {
    return { line: rowStart, detail: `malformed CSV: this row has ${fields} fields, the header has ${expected}` };
  }
  return undefined;
}
