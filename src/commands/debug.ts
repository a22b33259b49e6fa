import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { openInPlace } from '../publish/in-place.js';
import { holdsSecret } from '../secrets.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions } from './context.js';

/** `debug`: the project compiles, the profile resolves, and the target file opens. */
export async function debugCommand(opts: GlobalOptions): Promise<number> {
  const { def, manifest, reporter } = await compileContext(opts);
  const t = def.target;
  // A path read from the environment is a secret: shown whole, so the reporter redacts it.
  const shown = t.path === ':memory:' || holdsSecret(t.path) ? t.path : relative(def.root, t.path);
  reporter.line(`eider version:  ${EIDER_VERSION}`);
  reporter.line(`project:        ${def.name} (${def.root})`);
  reporter.line(`profile:        ${t.profile}`);
  reporter.line(`target:         ${t.name}`);
  reporter.line(`database file:  ${shown}${t.path !== ':memory:' && !existsSync(t.path) ? ' (not created yet)' : ''}`);
  reporter.line(`threads:        ${t.threads}`);
  reporter.line(`nodes:          ${Object.keys(manifest.nodes).length}`);
  const adapter = await openInPlace(t, 1);
  try {
    reporter.line(`duckdb:         ${await adapter.version()}`);
  } finally {
    await adapter.close();
  }
  reporter.line('All checks passed.');
  return 0;
}
