import { didYouMean } from '../../errors.js';
import type { YamlFile, YNode } from '../../project/yaml.js';

export const SEVERITIES = ['error', 'warn', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_EVENTS = ['run_failed', 'test_failed', 'test_warn', 'freshness', 'slow_model', 'run_skipped'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const CHANNEL_TYPES = ['slack', 'webhook', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: string;
}

/** Where alerts go. A channel whose url (or smtp host, or `to`) renders empty — an unset `{{env "X" ""}}` — is off. */
export interface AlertChannel {
  readonly name: string;
  readonly type: ChannelType;
  readonly url?: string;
  readonly to: readonly string[];
  readonly from?: string;
  readonly smtp?: SmtpConfig;
  /** The severities this channel receives (default: all). */
  readonly severities: readonly Severity[];
  readonly enabled: boolean;
}

export interface AlertRule {
  /** Names the rule in messages and in the condition key (default: its `on`). */
  readonly name: string;
  readonly on: AlertEvent;
  readonly severity: Severity;
  /** Only these channels (default: every channel that receives the severity). */
  readonly channels?: readonly string[];
  /** Only nodes in this selection (the selector grammar of --select). */
  readonly select?: readonly string[];
  /** slow_model: percent of the median duration over which a build is slow (default 150). */
  readonly threshold: number;
  /** slow_model: the median is over this many of the model's last successful runs (default 10). */
  readonly runs: number;
  readonly file: string;
  readonly line?: number;
}

/** `alerts:` of project.yml. */
export interface AlertsConfig {
  readonly channels: readonly AlertChannel[];
  readonly rules: readonly AlertRule[];
}

export const NO_ALERTS: AlertsConfig = { channels: [], rules: [] };

const ALERTS_KEYS = ['channels', 'rules'];
const CHANNEL_KEYS = ['name', 'type', 'url', 'to', 'from', 'smtp', 'severities'];
const SMTP_KEYS = ['host', 'port', 'secure', 'user', 'password'];
const RULE_KEYS = ['name', 'on', 'severity', 'channels', 'select', 'threshold', 'runs'];

/** Reads `alerts:` (its templates already rendered); every mistake is a diagnostic at its line. */
export function parseAlerts(y: YamlFile, node: YNode | undefined): AlertsConfig {
  if (!node || node.value === null) return NO_ALERTS;
  const top = y.entries(node, 'alerts', ALERTS_KEYS);
  const channels = y.items(top.get('channels'), 'alerts.channels').flatMap((n) => parseChannel(y, n) ?? []);
  const names = new Set<string>();
  for (const [i, c] of channels.entries()) {
    if (names.has(c.name)) y.error(y.items(top.get('channels'), '')[i], `two alert channels are named "${c.name}"`);
    names.add(c.name);
  }
  const rules = y.items(top.get('rules'), 'alerts.rules').flatMap((n) => parseRule(y, n, names) ?? []);
  const ruleNames = new Set<string>();
  for (const r of rules) {
    if (ruleNames.has(r.name)) y.error({ value: null, line: r.line }, `two alert rules are named "${r.name}": give each a name`);
    ruleNames.add(r.name);
  }
  return { channels, rules };
}

function oneOf<T extends string>(y: YamlFile, node: YNode | undefined, what: string, allowed: readonly T[]): T | undefined {
  const v = y.string(node, what);
  if (v === undefined) return undefined;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  y.error(node, `${what} must be one of ${allowed.join(', ')}; got "${v}"${didYouMean(v, allowed)}`);
  return undefined;
}

function parseChannel(y: YamlFile, node: YNode): AlertChannel | undefined {
  const e = y.entries(node, 'an alert channel', CHANNEL_KEYS);
  const name = y.string(e.get('name'), 'alerts.channels name');
  const type = oneOf(y, e.get('type'), 'alerts.channels type', CHANNEL_TYPES);
  if (!name || !type) {
    if (!e.has('name') || !e.has('type')) y.error(node, 'an alert channel needs a name and a type (slack, webhook or email)');
    return undefined;
  }
  const where = `alert channel "${name}"`;
  const severities = e.has('severities') ? (y.strings(e.get('severities'), `${where} severities`) ?? []) : [...SEVERITIES];
  for (const s of severities) if (!(SEVERITIES as readonly string[]).includes(s)) y.error(e.get('severities'), `${where}: unknown severity "${s}": use error, warn or info${didYouMean(s, SEVERITIES)}`);
  const url = y.string(e.get('url'), `${where} url`)?.trim();
  const to = (y.strings(e.get('to'), `${where} to`) ?? []).map((s) => s.trim()).filter(Boolean);
  const from = y.string(e.get('from'), `${where} from`);
  const smtp = e.has('smtp') ? parseSmtp(y, e.get('smtp')!, where) : undefined;
  let enabled: boolean;
  if (type === 'email') {
    for (const key of ['url'] as const) if (e.has(key)) y.error(e.get(key), `${where}: an email channel has no ${key} (it sends through smtp:)`);
    if (!e.has('smtp') || !e.has('to')) y.error(node, `${where}: an email channel needs smtp: {host, port} and to:`);
    enabled = Boolean(smtp?.host) && to.length > 0;
  } else {
    for (const key of ['to', 'from', 'smtp'] as const) if (e.has(key)) y.error(e.get(key), `${where}: a ${type} channel has no ${key} (only email channels do)`);
    if (!e.has('url')) y.error(node, `${where}: a ${type} channel needs a url (e.g. url: '{{env "EIDER_ALERT_WEBHOOK_URL" ""}}')`);
    else if (url && !/^https?:\/\//i.test(url)) y.error(e.get('url'), `${where}: url must start with http:// or https://`);
    enabled = Boolean(url);
  }
  return { name, type, url, to, from, smtp, severities: severities as Severity[], enabled };
}

function parseSmtp(y: YamlFile, node: YNode, where: string): SmtpConfig | undefined {
  const e = y.entries(node, `${where} smtp`, SMTP_KEYS);
  const host = y.string(e.get('host'), `${where} smtp.host`)?.trim() ?? '';
  const portNode = e.get('port');
  // A port may come from {{env "SMTP_PORT" "587"}}, which renders as text.
  const portText = portNode?.value === null || portNode === undefined ? undefined : String(portNode.value).trim();
  const port = portText === undefined || portText === '' ? 587 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) y.error(portNode, `${where}: smtp.port must be a port number (1-65535); got "${portText}"`);
  const secureNode = e.get('secure');
  const secure = typeof secureNode?.value === 'string' ? secureNode.value === 'true' : (y.boolean(secureNode, `${where} smtp.secure`) ?? port === 465);
  const user = y.string(e.get('user'), `${where} smtp.user`) || undefined;
  const password = y.string(e.get('password'), `${where} smtp.password`) || undefined;
  return { host, port, secure, user, password };
}

function parseRule(y: YamlFile, node: YNode, channels: ReadonlySet<string>): AlertRule | undefined {
  const e = y.entries(node, 'an alert rule', RULE_KEYS);
  const on = oneOf(y, e.get('on'), 'alerts.rules on', ALERT_EVENTS);
  const severity = oneOf(y, e.get('severity'), 'alerts.rules severity', SEVERITIES);
  if (!on || !severity) {
    if (!e.has('on') || !e.has('severity')) y.error(node, `an alert rule needs on: (${ALERT_EVENTS.join(', ')}) and severity: (error, warn or info)`);
    return undefined;
  }
  const name = y.string(e.get('name'), 'alerts.rules name') ?? on;
  const named = y.strings(e.get('channels'), `alert rule "${name}" channels`);
  for (const c of named ?? []) if (!channels.has(c)) y.error(e.get('channels'), `alert rule "${name}": unknown channel "${c}"${didYouMean(c, channels)}`);
  const threshold = y.number(e.get('threshold'), `alert rule "${name}" threshold`) ?? 150;
  const runs = y.number(e.get('runs'), `alert rule "${name}" runs`) ?? 10;
  if (on !== 'slow_model') for (const key of ['threshold', 'runs'] as const) if (e.has(key)) y.error(e.get(key), `alert rule "${name}": ${key} applies to on: slow_model only`);
  if (!(threshold > 0)) y.error(e.get('threshold'), `alert rule "${name}": threshold is a percent of the median, above 0 (e.g. 150)`);
  if (!Number.isInteger(runs) || runs < 1) y.error(e.get('runs'), `alert rule "${name}": runs must be a whole number of at least 1`);
  const select = y.strings(e.get('select'), `alert rule "${name}" select`);
  if (select && on === 'run_skipped') y.error(e.get('select'), `alert rule "${name}": select does not apply to run_skipped (a schedule's run, not a node)`);
  return { name, on, severity, channels: named, select, threshold, runs, file: y.file, line: node.line };
}
