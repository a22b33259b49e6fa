// User segments: k-means (k = 4) over each user's standardized behaviour, seeded so every build gives the same
// segments. A TypeScript model: its ref arrives as an Arquero table, and it returns row objects.
export const refs = ['user_features'];
export const config = { tags: ['ml'] };

const K = 4; // one cluster per name in NAMES

const FEATURES = ['active_days', 'sessions', 'purchases', 'revenue', 'recency_days'] as const;
const NAMES = ['champions', 'loyal', 'promising', 'low_engagement']; // by centroid score, best first

type Table = { array(name: string): ArrayLike<unknown>; numRows(): number };

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardize(values: number[]): number[] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) || 1;
  return values.map((v) => (v - mean) / sd);
}

const dist2 = (a: number[], b: number[]) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);

/** k-means++ seeding, then Lloyd iterations until no point moves. */
function kmeans(points: number[][], k: number, seed: number, iterations = 100): { labels: number[]; centroids: number[][] } {
  const rand = prng(seed);
  const centroids = [points[Math.floor(rand() * points.length)]];
  while (centroids.length < k) {
    const d = points.map((p) => Math.min(...centroids.map((c) => dist2(p, c))));
    let r = rand() * d.reduce((a, b) => a + b, 0);
    const next = d.findIndex((x) => (r -= x) <= 0);
    centroids.push(points[next < 0 ? points.length - 1 : next]);
  }
  let labels = points.map(() => -1);
  for (let it = 0; it < iterations; it++) {
    const next = points.map((p) => centroids.reduce((best, c, j) => (dist2(p, c) < dist2(p, centroids[best]) ? j : best), 0));
    const moved = next.some((l, i) => l !== labels[i]);
    labels = next;
    if (!moved) break;
    for (let j = 0; j < k; j++) {
      const members = points.filter((_, i) => labels[i] === j);
      if (members.length > 0) centroids[j] = members[0].map((_, d) => members.reduce((s, m) => s + m[d], 0) / members.length);
    }
  }
  return { labels, centroids };
}

export default async function segments({ ref, vars, aq }: { ref: (name: string) => Table; vars: Record<string, unknown>; aq: { table(columns: Record<string, ArrayLike<unknown>>): unknown } }) {
  const seed = Number(vars.segments_seed ?? 20260801); // project.yml's vars (or --vars): another seed, other segments
  const features = ref('user_features');
  // No rows (eider build --empty): the columns, typed, with no values (row objects would name no columns).
  if (features.numRows() === 0) return aq.table({ user_id: new Int32Array(0), segment: new Int32Array(0), segment_name: [], distance_to_centroid: new Float64Array(0) });
  const ids = Array.from(features.array('user_id'), Number);
  // Rows come in the table's order; sort by user so the seeded k-means sees the same points in the same order.
  const order = ids.map((_, i) => i).sort((a, b) => ids[a] - ids[b]);
  const columns = FEATURES.map((name) => {
    const values = Array.from(features.array(name), Number);
    return standardize(order.map((i) => values[i]));
  });
  const points = order.map((_, n) => columns.map((c, f) => (FEATURES[f] === 'recency_days' ? -c[n] : c[n]))); // recent is better
  const { labels, centroids } = kmeans(points, K, seed);
  const rank = centroids
    .map((c, j) => ({ j, score: c.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.score - a.score)
    .map((x) => x.j);
  return order.map((i, n) => ({
    user_id: ids[i],
    segment: rank.indexOf(labels[n]) + 1,
    segment_name: NAMES[rank.indexOf(labels[n])],
    distance_to_centroid: Math.round(Math.sqrt(dist2(points[n], centroids[labels[n]])) * 1e4) / 1e4,
  }));
}
