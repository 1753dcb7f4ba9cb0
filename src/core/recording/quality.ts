/** What a recorder knows of a stream to choose between them. */
export interface QualityCandidate {
  /** The extractor's label (`720p`, `best`, `source`, an HLS `NAME`). */
  readonly quality: string;
  readonly height?: number | undefined;
  readonly bandwidth?: number | undefined;
}

/** `best`, `worst`, a height like `720p`, or an extractor's label. */
export type QualityWish = string;

/** Whether a quality wish is well-formed (any label is accepted; this checks the keywords and heights). */
export function qualityProblem(wish: string): string | null {
  return /^(best|worst|\d{3,4}p|[A-Za-z0-9_.-]{1,32})$/.test(wish)
    ? null
    : 'must be best, worst, a height like 720p, or a stream label';
}

/**
 * The index of the stream to record among `candidates` (best first, as extractors return
 * them): `best` the first, `worst` the last; a height the exact one, else the tallest below it,
 * else the shortest above it; any other wish an exact label, else the best. Null when empty.
 */
export function selectQuality(
  candidates: readonly QualityCandidate[],
  wish: QualityWish,
): number | null {
  if (candidates.length === 0) return null;
  if (wish === 'best') return 0;
  if (wish === 'worst') return candidates.length - 1;
  const label = candidates.findIndex((c) => c.quality === wish);
  if (label >= 0) return label;
  const height = /^(\d{3,4})p$/.exec(wish);
  if (!height) return 0;
  const want = Number(height[1]);
  let below: { index: number; height: number } | null = null;
  let above: { index: number; height: number } | null = null;
  for (const [index, c] of candidates.entries()) {
    const h = c.height ?? heightLabel(c.quality);
    if (h === null) continue;
    if (h <= want && (below === null || h > below.height)) below = { index, height: h };
    if (h > want && (above === null || h < above.height)) above = { index, height: h };
  }
  return below?.index ?? above?.index ?? 0;
}

function heightLabel(label: string): number | null {
  const match = /^(\d{3,4})p/.exec(label);
  return match ? Number(match[1]) : null;
}
