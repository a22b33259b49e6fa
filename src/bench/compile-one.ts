// One `eider compile` in this process, then its wall time and peak memory as JSON on the last line.
// Run in a fresh process per measurement so the peak is this compile's own. `compile-one.js DIR [--no-cache]`.
import { Writable } from 'node:stream';
import { compileCommand } from '../commands/compile.js';

const dir = process.argv[2];
const cache = process.argv[3] !== '--no-cache';
const started = performance.now();
const silent = new Writable({ write: (_c, _e, cb) => cb() });
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = silent.write.bind(silent) as typeof process.stdout.write;
const code = await compileCommand({ projectDir: dir, cache });
process.stdout.write = write;
const ms = performance.now() - started;
console.log(JSON.stringify({ code, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
