import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { usageError } from '../errors.js';
import type { Reporter } from '../report/reporter.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the files of `dir` (nothing outside it) on host:port until SIGINT/SIGTERM, then stops cleanly (exit 0).
 * A port in use is a usage error (exit 2).
 */
export function serveDocs(dir: string, host: string, port: number, reporter: Reporter): Promise<number> {
  const root = resolve(dir);
  const server = createServer((req, res) => respond(root, req, res));
  return new Promise((done, fail) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => done(0));
      server.closeAllConnections();
    };
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') fail(usageError(`port ${port} on ${host} is in use: stop what holds it or choose another with --port`));
      else if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') fail(usageError(`cannot listen on ${host}:${port} (${e.code}): choose another --host or --port`));
      else fail(e);
    });
    server.listen(port, host, () => {
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const address = server.address();
      const shownPort = typeof address === 'object' && address ? address.port : port;
      reporter.line(`Serving ${dir} at http://${host.includes(':') ? `[${host}]` : host}:${shownPort}/ (Ctrl-C to stop)`);
    });
  });
}

function respond(root: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return send(res, 400, 'bad request');
  }
  // A raw `..` segment never reaches the file system (URL parsing resolves most; encoded ones are refused here).
  if (path.includes('\0') || path.split(/[\\/]/).includes('..')) return send(res, 403, 'forbidden');
  const file = resolve(join(root, path.endsWith('/') ? `${path}index.html` : path));
  if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'forbidden');
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return send(res, 404, 'not found');
    size = st.size;
  } catch {
    return send(res, 404, 'not found');
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}
