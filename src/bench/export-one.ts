// One `eider export` in this process, then its wall time and peak memory as JSON on the last line.
// Run in a fresh process per measurement so the peak is this export's own.
import { exportCommand } from '../commands/export.js';

const [dir, out] = process.argv.slice(2);
const started = performance.now();
const code = await exportCommand({ projectDir: dir, select: ['big'], out });
const ms = performance.now() - started;
console.log(JSON.stringify({ code, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
