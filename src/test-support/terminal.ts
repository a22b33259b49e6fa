import { spawn } from 'node:child_process';
import { BIN } from './project.js';

export interface TerminalRun {
  readonly code: number;
  /** Every byte the terminal received (stdout and stderr of the command, and the terminal's own echo). */
  readonly bytes: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the real `eider` in `cwd` under a pseudo-terminal (util-linux `script`), as a person at a terminal would:
 * TERM=xterm, and neither NO_COLOR nor CI unless `env` sets them. `ctrlCWhen`: once the output matches it, the
 * terminal gets a Ctrl-C (the pty sends SIGINT to the command, as a keyboard would). A command still running after
 * `timeoutMs` gets a Ctrl-C, then is killed, so a failing test never leaves it behind.
 */
export function runInTerminal(cwd: string, args: readonly string[], env: Record<string, string> = {}, ctrlCWhen?: RegExp, timeoutMs = 40_000): Promise<TerminalRun> {
  const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
  delete base.NO_COLOR;
  delete base.CI;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...base, ...env, SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'inherit'] });
    let bytes = '';
    let sent = false;
    const ctrlC = () => {
      sent = true;
      child.stdin.write('\x03');
    };
    const timer = setTimeout(() => {
      ctrlC();
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      bytes += d;
      if (ctrlCWhen && !sent && ctrlCWhen.test(bytes)) ctrlC();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, bytes });
    });
  });
}

/**
 * What a terminal shows once it has received `bytes`, as lines of text: printable characters, CR, LF, cursor up
 * (ESC [ n A), erase to the end of the screen or line (ESC [ J, ESC [ K); colours (ESC [ … m) are dropped. Enough
 * to see whether anything drawn with cursor movement was left behind.
 */
export function screen(bytes: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === '\x1b' && bytes[i + 1] === '[') {
      const m = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(bytes.slice(i));
      if (!m) throw new Error(`unknown escape at ${i}: ${JSON.stringify(bytes.slice(i, i + 10))}`);
      i += m[0].length - 1;
      const n = Number(m[1] || '1');
      if (m[2] === 'A') row = Math.max(0, row - n);
      else if (m[2] === 'J') {
        rows[row].length = Math.min(rows[row].length, col);
        rows.length = row + 1;
      } else if (m[2] === 'K') rows[row].length = Math.min(rows[row].length, col);
      else if (m[2] !== 'm') throw new Error(`unexpected escape ${JSON.stringify(m[0])}`);
    } else if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      rows[row] ??= [];
    } else {
      while (rows[row].length < col) rows[row].push(' ');
      rows[row][col++] = c;
    }
  }
  return rows.map((r) => r.join('').trimEnd());
}
