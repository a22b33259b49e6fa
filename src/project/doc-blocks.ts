import { RenderError } from '../compile/render.js';
import { didYouMean, type Diagnostic } from '../errors.js';
import type { SourceFile } from './load.js';

/** A named Markdown block `{% docs name %}…{% enddocs %}` (dbt's syntax) from a `.md` file under the model paths. */
export interface DocBlock {
  readonly name: string;
  readonly text: string;
  readonly file: string;
  readonly line: number;
}

const BLOCK = /\{%-?\s*docs\s+([^\s%]+)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g;
const OPEN = /\{%-?\s*docs\b/g;

/** Every doc block of the project; a block defined twice is an error at both places, an unclosed one at its line. */
export function parseDocBlocks(files: readonly SourceFile[], diagnostics: Diagnostic[]): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const f of files) {
    const lineAt = (index: number) => f.text.slice(0, index).split('\n').length;
    const closed = new Set<number>();
    for (const m of f.text.matchAll(BLOCK)) {
      closed.add(m.index);
      const name = m[1];
      if (!/^[A-Za-z_][\w.-]*$/.test(name)) diagnostics.push({ severity: 'error', file: f.path, line: lineAt(m.index), message: `"${name}" is not a doc block name: use letters, digits and _` });
      else blocks.push({ name, text: m[2].trim(), file: f.path, line: lineAt(m.index) });
    }
    for (const m of f.text.matchAll(OPEN)) {
      if (!closed.has(m.index)) diagnostics.push({ severity: 'error', file: f.path, line: lineAt(m.index), message: 'a {% docs … %} block without its {% enddocs %}' });
    }
  }
  const byName = new Map<string, DocBlock[]>();
  for (const b of blocks) byName.set(b.name, [...(byName.get(b.name) ?? []), b]);
  for (const [name, list] of byName) {
    if (list.length < 2) continue;
    for (const b of list) {
      const others = list.filter((o) => o !== b).map((o) => `${o.file}:${o.line}`);
      diagnostics.push({ severity: 'error', file: b.file, line: b.line, message: `doc block "${name}" is defined twice (also at ${others.join(', ')})` });
    }
  }
  return blocks;
}

/** `{{doc "name"}}` in a YAML value: the block's Markdown; an unknown name is an error at its line. */
export function docHelper(blocks: readonly DocBlock[]): (...args: unknown[]) => string {
  const byName = new Map(blocks.map((b) => [b.name, b.text]));
  return (...args: unknown[]) => {
    const options = args.pop() as { loc?: hbs.AST.SourceLocation };
    const name = String(args[0]);
    const text = byName.get(name);
    if (text === undefined) throw new RenderError(`unknown doc block "${name}"${didYouMean(name, byName.keys())}`, options.loc?.start.line);
    return text;
  };
}
