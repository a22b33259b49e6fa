import { accessSync, closeSync, constants, existsSync, lstatSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { usageError } from '../errors.js';
import { fsProblem, makeFolder } from '../folders.js';
import { redact } from '../secrets.js';
import type { Manifest, Node, NodeResult, RunResult } from '../types.js';
import { formatCount } from './numbers.js';

/**
 * `--junit FILE`, checked before anything runs: its folder exists (made if need be) and can be written, and the
 * file, when it exists, is a file that can be written.
 */
export function checkJunitPath(path: string): void {
  const file = resolve(path);
  try {
    makeFolder(dirname(file));
    accessSync(dirname(file), constants.W_OK);
  } catch (e) {
    throw usageError(`--junit ${path}: cannot write in ${dirname(path)}/ (${fsProblem(e)})`);
  }
  // A symbolic link to a file not made yet is written through, as before.
  if (!existsSync(file) && !lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    // Created and removed again: a folder even root cannot create files in (/proc, /sys) is found now, not after the run.
    try {
      closeSync(openSync(file, 'wx'));
      rmSync(file, { force: true });
    } catch (e) {
      throw usageError(`--junit ${path}: cannot create it (${fsProblem(e)})`);
    }
    return;
  }
  if (!existsSync(file)) return;
  if (statSync(file).isDirectory()) throw usageError(`--junit ${path}: is a folder, not a file`);
  try {
    accessSync(file, constants.W_OK);
  } catch (e) {
    throw usageError(`--junit ${path}: cannot write it (${fsProblem(e)})`);
  }
}

/** Writes the run as a JUnit XML report: one testsuite, one testcase per node that ran (models, seeds, tests…). */
export function writeJunit(path: string, run: RunResult, manifest: Manifest): void {
  writeFileSync(path, junitXml(run, manifest));
}

/**
 * The report of a run that stopped before it could run anything (a mistake in a file or on the command line, a
 * target that cannot be opened): one testcase, `eider <command>`, in error with the message printed. A report
 * left by an earlier run never stands for this one.
 */
export function writeJunitStopped(path: string, command: string, startedAt: string, elapsedMs: number, message: string): void {
  const totals = { tests: 1, failures: 0, errors: 1, skipped: 0, time: seconds(elapsedMs) };
  const first = message.split('\n')[0];
  writeFileSync(
    path,
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites${attrs({ name: `eider ${command}`, ...totals })}>`,
      `  <testsuite${attrs({ name: `eider ${command}`, ...totals, timestamp: startedAt.replace(/Z$/, '') })}>`,
      `    <testcase${attrs({ name: `eider ${command}`, classname: 'eider', time: seconds(elapsedMs) })}>`,
      `      <error${attrs({ message: first, type: 'error' })}>${escape(message)}</error>`,
      '    </testcase>',
      '  </testsuite>',
      '</testsuites>',
      '',
    ].join('\n'),
  );
}

/**
 * The JUnit XML of a run. A test that fails is a `<failure>` with its message and first failing rows, a node
 * that errors an `<error>`, a skipped node `<skipped/>`; a warning test passes, its rows in `<system-out>`.
 */
export function junitXml(run: RunResult, manifest: Manifest): string {
  const count = (s: NodeResult['status']) => run.results.filter((r) => r.status === s).length;
  const totals = {
    tests: run.results.length,
    failures: count('fail'),
    errors: count('error'),
    skipped: count('skipped'),
    time: seconds(run.elapsedMs),
  };
  const suite = `${manifest.projectName} · eider ${run.command} · target ${manifest.target.name}`;
  const cases = run.results.map((r) => testcase(r, manifest.nodes[r.nodeId]));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `eider ${run.command}`, ...totals })}>`,
    `  <testsuite${attrs({ name: suite, ...totals, timestamp: run.startedAt.replace(/Z$/, '') })}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function testcase(r: NodeResult, node: Node): string {
  const head = `    <testcase${attrs({ name: node.name, classname: classname(node), time: seconds(r.durationMs) })}`;
  const body = detail(r);
  switch (r.status) {
    case 'success':
    case 'pass':
      return `${head}/>`;
    case 'warn':
      return `${head}>\n      <system-out>${escape(`WARN: ${r.message}\n${body}`)}</system-out>\n    </testcase>`;
    case 'fail':
      return `${head}>\n      <failure${attrs({ message: r.error ?? r.message, type: 'fail' })}>${escape(body)}</failure>\n    </testcase>`;
    case 'error':
      return `${head}>\n      <error${attrs({ message: r.error ?? r.message, type: 'error' })}>${escape(body || (r.error ?? ''))}</error>\n    </testcase>`;
    case 'skipped':
      return `${head}>\n      <skipped${attrs({ message: r.message })}/>\n    </testcase>`;
  }
}

/** `model.models.staging` for models/staging/stg_orders.sql: the resource type, then the file's folders. */
function classname(node: Node): string {
  const folders = node.origin.file.split('/').slice(0, -1);
  return [node.kind, ...folders].join('.');
}

/** What a failure shows under its message: the failing count and first rows, or a unit test's diff. */
function detail(r: NodeResult): string {
  if (r.detail) return r.detail;
  if (!r.sample || r.sample.rows.length === 0) return '';
  const lines = [r.sample.columns.join(' | '), ...r.sample.rows.map((row) => row.join(' | '))];
  const more = (r.failures ?? 0) > r.sample.rows.length ? [`… and ${formatCount(r.failures! - r.sample.rows.length)} more`] : [];
  return [...lines, ...more].join('\n');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** ` a="…" b="…"`, each value redacted and escaped for an attribute. */
function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escape(String(v)).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')}"`)
    .join('');
}

/**
 * Redacts, then escapes `&`, `<`, `>`; characters XML 1.0 cannot hold at all (control characters other than tab,
 * newline and carriage return, lone surrogates, U+FFFE/U+FFFF) are written as `\uXXXX` text.
 */
function escape(value: string): string {
  return redact(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
