import { redact } from '../../secrets.js';
import type { AlertChannel, Severity } from './config.js';

/** One alert message: what the generic webhook receives as its JSON body (README "Alerts"). */
export interface AlertMessage {
  readonly rule: string;
  readonly severity: Severity;
  readonly status: 'firing' | 'resolved';
  readonly target: string;
  readonly node: string | null;
  readonly message: string;
  readonly time: string;
  readonly project: string;
}

/** How long one delivery may take before it counts as failed. */
export const DELIVERY_TIMEOUT_MS = 5000;

/**
 * Sends a message to a channel. Rejects with a short reason that names no URL, host or address (fetch's and
 * nodemailer's own messages embed them): the HTTP status, a timeout, or the error's code.
 */
export async function deliver(channel: AlertChannel, msg: AlertMessage): Promise<void> {
  try {
    if (channel.type === 'email') await sendEmail(channel, msg);
    else await post(channel.url!, channel.type === 'slack' ? slackBody(msg) : msg);
  } catch (e) {
    throw new Error(redact(reason(e)));
  }
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
  await res.body?.cancel();
  if (!res.ok) throw new DeliveryError(`HTTP ${res.status}`);
}

class DeliveryError extends Error {}

function reason(e: unknown): string {
  if (e instanceof DeliveryError) return e.message;
  const err = e as { name?: string; code?: string; responseCode?: number; cause?: { code?: string } };
  if (err.name === 'TimeoutError' || err.code === 'ETIMEDOUT') return `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;
  if (err.responseCode) return `SMTP ${err.responseCode}`;
  const code = err.cause?.code ?? err.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNECTION' || /ECONNREFUSED/.test(String((e as Error).message))) return 'connection refused';
  return code ? String(code) : 'delivery failed';
}

const ICON: Record<Severity, string> = { error: ':red_circle:', warn: ':warning:', info: ':information_source:' };

/** One line for people: the Slack text and the e-mail subject. */
export function headline(msg: AlertMessage): string {
  const what = msg.status === 'resolved' ? 'RESOLVED' : msg.severity.toUpperCase();
  return `[eider ${msg.project}] ${what} ${msg.rule} on ${msg.target}${msg.node ? `: ${msg.node}` : ''}`;
}

function slackBody(msg: AlertMessage): { text: string } {
  const icon = msg.status === 'resolved' ? ':white_check_mark:' : ICON[msg.severity];
  return { text: `${icon} ${headline(msg)}\n${msg.message}` };
}

async function sendEmail(channel: AlertChannel, msg: AlertMessage): Promise<void> {
  const smtp = channel.smtp!;
  // Loaded only when a mail is sent: nodemailer takes a few hundred ms to import, which no other run should pay.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: DELIVERY_TIMEOUT_MS,
    greetingTimeout: DELIVERY_TIMEOUT_MS,
    socketTimeout: DELIVERY_TIMEOUT_MS,
    logger: false,
  });
  try {
    const body = [msg.message, '', `rule: ${msg.rule}`, `severity: ${msg.severity}`, `status: ${msg.status}`, `target: ${msg.target}`, ...(msg.node ? [`node: ${msg.node}`] : []), `time: ${msg.time}`].join('\n');
    await transport.sendMail({ from: channel.from ?? `eider <eider@localhost>`, to: [...channel.to], subject: headline(msg), text: body });
  } finally {
    transport.close();
  }
}
