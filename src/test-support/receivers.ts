import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A local HTTP receiver (Slack-style or generic webhook): every POST body by path, answered with `status`. */
export interface HttpReceiver {
  readonly url: string;
  readonly posts: Array<{ path: string; body: unknown }>;
  status: number;
  close(): Promise<void>;
}

export async function httpReceiver(): Promise<HttpReceiver> {
  const posts: HttpReceiver['posts'] = [];
  const receiver = { posts, status: 200 } as { -readonly [K in keyof HttpReceiver]: HttpReceiver[K] };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: JSON.parse(text) });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => new Promise((res) => server.close(() => res()));
  return receiver;
}

/** A local SMTP receiver without TLS that takes any login (kept, to check a password reached it). */
export interface SmtpReceiver {
  readonly port: number;
  readonly mails: Array<{ to: string[]; text: string; user?: string; password?: string }>;
  close(): Promise<void>;
}

export async function smtpReceiver(): Promise<SmtpReceiver> {
  const mails: SmtpReceiver['mails'] = [];
  const logins = new Map<string, { user: string; password?: string }>();
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, session, cb) {
      logins.set(session.id, { user: auth.username ?? '', password: auth.password ?? undefined });
      cb(null, { user: auth.username });
    },
    onData(stream, session, cb) {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), text, ...logins.get(session.id) });
        cb();
      });
    },
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise((res) => server.close(() => res())) };
}

/** A port nothing listens on (a receiver that is down). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((res) => server.close(res));
  return port;
}
