// A lexicon-based sentiment score of each feedback comment (in the manner of AFINN/VADER): every known word has a
// score from -3 to +3, "very"/"really" strengthen the next scored word, "not"/"never"/"no" flip it, and the sum is
// squashed into -1..1 (compound = sum / sqrt(sum² + 15)). Deterministic: no randomness, no model file.
export const refs = ['stg_feedback'];
export const config = { tags: ['ml'] };

const LEXICON: Record<string, number> = {
  love: 3, excellent: 3, amazing: 3, perfect: 3, superb: 3, awesome: 3,
  great: 2, happy: 2, recommend: 2, good: 2, nice: 2, helpful: 2, fast: 1, quick: 1, easy: 1, fine: 1, okay: 0.5,
  average: -0.5, slow: -1, late: -1, confusing: -1, broken: -2, crashing: -2, poor: -2, bad: -2, failed: -2,
  disappointed: -2, frustrating: -2, terrible: -3, awful: -3, horrible: -3, worst: -3,
};
const NEGATIONS = new Set(['not', 'never', 'no']);
const BOOSTERS = new Set(['very', 'really', 'so']);
const ALPHA = 15;

/** The comment's raw lexicon score and its compound score in -1..1. */
export function score(text: string): { raw: number; compound: number } {
  const words = text.toLowerCase().match(/[a-z']+/g) ?? [];
  let raw = 0;
  words.forEach((word, i) => {
    const value = LEXICON[word];
    if (value === undefined) return;
    const before = words.slice(Math.max(0, i - 2), i);
    const boosted = before.some((w) => BOOSTERS.has(w)) ? value * 1.3 : value;
    raw += before.some((w) => NEGATIONS.has(w)) ? -0.75 * boosted : boosted;
  });
  return { raw: Math.round(raw * 100) / 100, compound: Math.round((raw / Math.sqrt(raw * raw + ALPHA)) * 1e4) / 1e4 };
}

type Table = {
  objects(): Record<string, unknown>[];
  numRows(): number;
  select(...names: string[]): { assign(columns: Record<string, ArrayLike<unknown>>): unknown };
};

export default async function sentiment({ ref }: { ref: (name: string) => Table }) {
  const feedback = ref('stg_feedback');
  // No rows (eider build --empty): the same columns, typed, with no values (row objects would name no columns).
  if (feedback.numRows() === 0) {
    return feedback.select('feedback_id', 'user_id', 'submitted_date', 'rating', 'comment').assign({ lexicon_score: new Float64Array(0), compound: new Float64Array(0), sentiment: [] });
  }
  return feedback
    .objects()
    .map((row) => {
      const { raw, compound } = score(String(row.comment));
      return {
        feedback_id: row.feedback_id,
        user_id: row.user_id,
        submitted_date: row.submitted_date,
        rating: row.rating,
        comment: row.comment,
        lexicon_score: raw,
        compound,
        sentiment: compound >= 0.05 ? 'positive' : compound <= -0.05 ? 'negative' : 'neutral',
      };
    })
    .sort((a, b) => Number(a.feedback_id) - Number(b.feedback_id));
}
