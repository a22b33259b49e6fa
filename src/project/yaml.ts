import yaml from 'js-yaml';
import { didYouMean, type Diagnostic } from '../errors.js';

/** A value read from YAML with the line it was written on (a key's line for a mapping entry). */
export interface YNode {
  readonly value: unknown;
  readonly line?: number;
}

/** Lines of a mapping's keys or a sequence's items, recorded while js-yaml composes the document. */
interface Lines {
  readonly line: number;
  readonly children: ReadonlyArray<{ line: number; value: unknown }>;
}

/**
 * A parsed YAML file that knows the line of every mapping key and sequence item. js-yaml (CORE schema:
 * dates stay strings) is ~10× faster than a full document model; its listener events give the lines.
 */
export class YamlFile {
  readonly root: YNode | null;
  private readonly lines = new WeakMap<object, Lines>();

  constructor(readonly file: string, readonly text: string, readonly diagnostics: Diagnostic[]) {
    const stack: Array<{ line: number; children: Array<{ line: number; value: unknown }> }> = [];
    let value: unknown;
    try {
      value = yaml.load(text, {
        schema: yaml.CORE_SCHEMA,
        filename: file,
        listener: (event, state) => {
          if (event === 'open') {
            stack.push({ line: state.line + 1, children: [] });
            return;
          }
          const frame = stack.pop()!;
          const result: unknown = state.result;
          stack[stack.length - 1]?.children.push({ line: frame.line, value: result });
          if (result !== null && typeof result === 'object' && !this.lines.has(result)) this.lines.set(result, frame);
        },
      });
    } catch (e) {
      const err = e as { mark?: { line: number }; reason?: string; message: string };
      diagnostics.push({ severity: 'error', file, line: err.mark ? err.mark.line + 1 : undefined, message: `invalid YAML: ${err.reason ?? err.message.split('\n')[0]}` });
      this.root = null;
      return;
    }
    this.root = value === undefined ? { value: null, line: 1 } : { value, line: this.lineOfValue(value) ?? 1 };
  }

  private lineOfValue(v: unknown): number | undefined {
    return v !== null && typeof v === 'object' ? this.lines.get(v)?.line : undefined;
  }

  lineOf(node: YNode | null | undefined): number | undefined {
    return node?.line;
  }

  error(node: YNode | null | undefined, message: string): void {
    this.diagnostics.push({ severity: 'error', file: this.file, line: node?.line, message });
  }

  private isMap(node: YNode | null | undefined): node is YNode & { value: Record<string, unknown> } {
    return node != null && node.value !== null && typeof node.value === 'object' && !Array.isArray(node.value);
  }

  /** Key and value nodes of a mapping, in order. */
  pairs(node: YNode | null | undefined, what: string): Array<{ key: string; keyNode: YNode; value: YNode }> {
    if (node == null || node.value === null) return [];
    if (!this.isMap(node)) {
      this.error(node, `${what} must be a mapping`);
      return [];
    }
    const info = this.lines.get(node.value);
    const keys = Object.keys(node.value);
    // Children close in order key, value, key, value …; trust them only when they line up.
    const kids = info && info.children.length === keys.length * 2 ? info.children : undefined;
    return keys.map((key, i) => {
      const keyLine = kids?.[i * 2].line ?? node.line;
      const v = node.value[key];
      return { key, keyNode: { value: key, line: keyLine }, value: { value: v, line: this.lineOfValue(v) ?? kids?.[i * 2 + 1].line ?? keyLine } };
    });
  }

  /** The entries of a mapping, reporting keys not in `allowed` (when given) with a suggestion. Entry lines are the keys'. */
  entries(node: YNode | null | undefined, what: string, allowed?: readonly string[]): Map<string, YNode> {
    const out = new Map<string, YNode>();
    for (const p of this.pairs(node, what)) {
      if (allowed && !allowed.includes(p.key)) {
        this.error(p.keyNode, `unknown key "${p.key}" in ${what}${didYouMean(p.key, allowed)}`);
        continue;
      }
      out.set(p.key, { value: p.value.value, line: p.keyNode.line });
    }
    return out;
  }

  items(node: YNode | null | undefined, what: string): YNode[] {
    if (node == null || node.value === null) return [];
    if (!Array.isArray(node.value)) {
      this.error(node, `${what} must be a list`);
      return [];
    }
    const info = this.lines.get(node.value);
    const kids = info && info.children.length === node.value.length ? info.children : undefined;
    return node.value.map((v, i) => ({ value: v, line: this.lineOfValue(v) ?? kids?.[i].line ?? node.line }));
  }

  string(node: YNode | null | undefined, what: string): string | undefined {
    if (node == null || node.value === null) return undefined;
    if (typeof node.value === 'string' || typeof node.value === 'number') return String(node.value);
    this.error(node, `${what} must be a string`);
    return undefined;
  }

  number(node: YNode | null | undefined, what: string): number | undefined {
    if (node == null || node.value === null) return undefined;
    if (typeof node.value === 'number') return node.value;
    this.error(node, `${what} must be a number`);
    return undefined;
  }

  boolean(node: YNode | null | undefined, what: string): boolean | undefined {
    if (node == null || node.value === null) return undefined;
    if (typeof node.value === 'boolean') return node.value;
    this.error(node, `${what} must be true or false`);
    return undefined;
  }

  /** A string or a list of strings (tags: daily  or  tags: [daily, core]). */
  strings(node: YNode | null | undefined, what: string): string[] | undefined {
    if (node == null || node.value === null) return undefined;
    if (typeof node.value === 'string') return [node.value];
    if (Array.isArray(node.value) && node.value.every((v) => typeof v === 'string')) return node.value as string[];
    this.error(node, `${what} must be a string or a list of strings`);
    return undefined;
  }

  /** The plain value (for vars, meta, test arguments). */
  value(node: YNode | null | undefined): unknown {
    return node == null ? null : node.value;
  }
}

/** Parses a YAML snippet given on the command line or read for a quick look (no lines needed). */
export function parseYamlValue(text: string): unknown {
  return yaml.load(text, { schema: yaml.CORE_SCHEMA });
}
