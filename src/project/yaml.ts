import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YNode, type Pair } from 'yaml';
import { didYouMean, type Diagnostic } from '../errors.js';

/** A parsed YAML file that can tell the line of any of its nodes. */
export class YamlFile {
  readonly root: YNode | null;
  private readonly lines = new LineCounter();

  constructor(readonly file: string, text: string, readonly diagnostics: Diagnostic[]) {
    const doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const e of doc.errors) {
      const line = e.linePos?.[0].line ?? this.lineAt(e.pos[0]);
      diagnostics.push({ severity: 'error', file, line, message: `invalid YAML: ${firstLine(e.message)}` });
    }
    this.root = doc.errors.length > 0 ? null : ((doc.contents as YNode | null) ?? null);
  }

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  lineOf(node: YNode | Pair | null | undefined): number | undefined {
    const n = (node && 'key' in node ? node.key : node) as YNode | null | undefined;
    return n?.range ? this.lineAt(n.range[0]) : undefined;
  }

  error(node: YNode | Pair | null | undefined, message: string): void {
    this.diagnostics.push({ severity: 'error', file: this.file, line: this.lineOf(node), message });
  }

  /** The entries of a mapping, reporting keys not in `allowed` (when given) with a suggestion. */
  entries(node: YNode | null | undefined, what: string, allowed?: readonly string[]): Map<string, YNode | null> {
    const out = new Map<string, YNode | null>();
    if (node == null) return out;
    if (!isMap(node)) {
      this.error(node, `${what} must be a mapping`);
      return out;
    }
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) {
        this.error(pair as Pair, `${what} has a key that is not a plain string`);
        continue;
      }
      if (allowed && !allowed.includes(key)) {
        this.error(pair as Pair, `unknown key "${key}" in ${what}${didYouMean(key, allowed)}`);
        continue;
      }
      out.set(key, (pair.value as YNode | null) ?? null);
    }
    return out;
  }

  /** Pairs of a mapping with their key nodes, for maps whose keys are names (folders, targets). */
  pairs(node: YNode | null | undefined, what: string): Array<{ key: string; keyNode: YNode; value: YNode | null }> {
    if (node == null) return [];
    if (!isMap(node)) {
      this.error(node, `${what} must be a mapping`);
      return [];
    }
    return node.items.map((p) => ({
      key: isScalar(p.key) ? String(p.key.value) : '',
      keyNode: p.key as YNode,
      value: (p.value as YNode | null) ?? null,
    }));
  }

  items(node: YNode | null | undefined, what: string): YNode[] {
    if (node == null) return [];
    if (!isSeq(node)) {
      this.error(node, `${what} must be a list`);
      return [];
    }
    return node.items as YNode[];
  }

  string(node: YNode | null | undefined, what: string): string | undefined {
    if (node == null) return undefined;
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
    this.error(node, `${what} must be a string`);
    return undefined;
  }

  number(node: YNode | null | undefined, what: string): number | undefined {
    if (node == null) return undefined;
    if (isScalar(node) && typeof node.value === 'number') return node.value;
    this.error(node, `${what} must be a number`);
    return undefined;
  }

  boolean(node: YNode | null | undefined, what: string): boolean | undefined {
    if (node == null) return undefined;
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.error(node, `${what} must be true or false`);
    return undefined;
  }

  /** A string or a list of strings (tags: daily  or  tags: [daily, core]). */
  strings(node: YNode | null | undefined, what: string): string[] | undefined {
    if (node == null) return undefined;
    if (isScalar(node)) return [String(node.value)];
    if (isSeq(node)) return node.items.map((i) => this.string(i as YNode, what)).filter((s): s is string => s !== undefined);
    this.error(node, `${what} must be a string or a list of strings`);
    return undefined;
  }

  /** Plain JS value of a node (for vars, meta, test arguments). */
  value(node: YNode | null | undefined): unknown {
    return node == null ? null : (node as { toJSON(): unknown }).toJSON();
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

export { isMap, isSeq, isScalar };
export type { YNode };
