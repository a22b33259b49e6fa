// Customer segments: k-means (k = 4, fixed seed, so every build gives the same segments) over the
// standardized RFM features. A TypeScript model: refs arrive as Arquero tables; it returns one.
export const refs = ['ml_customer_features'];
export const config = { schema: 'ml', tags: ['weekly'] };

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

/** k-means++ seeding and Lloyd iterations. */
function kmeans(points: number[][], k: number, seed: number, iterations = 50): { labels: number[]; centroids: number[][] } {
  const rand = prng(seed);
  const centroids = [points[Math.floor(rand() * points.length)]];
  while (centroids.length < k) {
    const d = points.map((p) => Math.min(...centroids.map((c) => dist2(p, c))));
    let r = rand() * d.reduce((a, b) => a + b, 0);
    const next = d.findIndex((x) => (r -= x) <= 0);
    centroids.push(points[next < 0 ? points.length - 1 : next]);
  }
  let labels = points.map(() => 0);
  for (let it = 0; it < iterations; it++) {
    const next = points.map((p) => centroids.reduce((best, c, j) => (dist2(p, c) < dist2(p, centroids[best]) ? j : best), 0));
    const moved = next.some((l, i) => l !== labels[i]);
    labels = next;
    for (let j = 0; j < k; j++) {
      const members = points.filter((_, i) => labels[i] === j);
      if (members.length > 0) centroids[j] = members[0].map((_, d) => members.reduce((s, m) => s + m[d], 0) / members.length);
    }
    if (!moved && it > 0) break;
  }
  return { labels, centroids };
}

export default async function segments({ ref, aq }: { ref: (name: string) => Table; aq: { table(columns: Record<string, unknown[]>): unknown } }) {
  const features = ref('ml_customer_features');
  const ids = Array.from(features.array('customer_id')) as number[];
  const recency = Array.from(features.array('recency_days'), Number);
  const frequency = Array.from(features.array('frequency'), Number);
  const monetary = Array.from(features.array('monetary'), Number);
  const [r, f, m] = [standardize(recency), standardize(frequency), standardize(monetary)];
  const points = ids.map((_, i) => [-r[i], f[i], m[i]]); // lower recency is better
  const { labels, centroids } = kmeans(points, 4, 20240101);
  // Name segments by their centroid's overall score, best first.
  const order = centroids.map((c, j) => ({ j, score: c[0] + c[1] + c[2] })).sort((a, b) => b.score - a.score).map((x) => x.j);
  const names = ['champions', 'loyal', 'at_risk', 'dormant'];
  return aq.table({
    customer_id: ids,
    segment: labels.map((l) => order.indexOf(l) + 1),
    segment_name: labels.map((l) => names[order.indexOf(l)]),
    distance_to_centroid: points.map((p, i) => Math.round(Math.sqrt(dist2(p, centroids[labels[i]])) * 1e4) / 1e4),
  });
}
