// npm run soak:kill [-- N]: kill -9 a prod build at N random moments (default 100) and check after each
// that prod opens and holds exactly the old or the new release; then that the next build cleans up and succeeds.
import { buildProd, killBuildAfter, leftovers, prodProject, prodRelease } from '../test-support/prod.js';

const n = Number(process.argv[2] ?? 100);
const p = prodProject();
try {
  const t0 = performance.now();
  if ((await buildProd(p, 1)).code !== 0) throw new Error('first build failed');
  const duration = performance.now() - t0;
  let current = 1;
  const seen = { old: 0, new: 0, bad: 0 };
  for (let i = 0; i < n; i++) {
    const v = current + 1;
    await killBuildAfter(p, v, Math.round(Math.random() * duration * 1.2));
    const now = await prodRelease(p).catch(() => null);
    if (now === current) seen.old++;
    else if (now === v) seen.new++;
    else seen.bad++;
    if (now !== null) current = now;
    if ((i + 1) % 10 === 0) console.log(`${i + 1}/${n}: old ${seen.old}, new ${seen.new}, anything else ${seen.bad}`);
  }
  const next = await buildProd(p, current + 1);
  const ok = seen.bad === 0 && next.code === 0 && (await prodRelease(p)) === current + 1 && leftovers(p).length === 0;
  console.log(`${n} kills over a ${Math.round(duration)} ms build: old release ${seen.old}, new release ${seen.new}, anything else ${seen.bad}; next build ${next.code === 0 ? 'succeeded' : 'FAILED'}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  p.remove();
}
