/** What the matcher looks at in a playable source (a structural subset of an extractor's source). */
export interface MatchableSource {
  readonly url: string;
  readonly quality: string;
  readonly title?: string | undefined;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly bandwidth?: number | undefined;
}

export type MatchRule = 'qualityTitle' | 'hostPath' | 'resolutionBandwidth' | 'only';

export interface Match {
  /** Index into the fresh results. */
  readonly index: number;
  readonly rule: MatchRule;
}

/**
 * Finds the stream a reader was using among freshly resolved sources, in order: same quality and
 * title; else same host and path ignoring the query (where tokens usually live); else same
 * resolution and bandwidth; else the only result. Each rule must pick exactly one candidate — two
 * equally good candidates are no match for that rule, so a later rule (or none) decides.
 */
export function matchSource(
  previous: MatchableSource,
  fresh: readonly MatchableSource[],
): Match | null {
  const rules: [MatchRule, (s: MatchableSource) => boolean][] = [
    [
      'qualityTitle',
      (s) => s.quality === previous.quality && (s.title ?? null) === (previous.title ?? null),
    ],
    ['hostPath', (s) => hostPath(s.url) !== null && hostPath(s.url) === hostPath(previous.url)],
    [
      'resolutionBandwidth',
      (s) =>
        previous.width !== undefined &&
        previous.height !== undefined &&
        previous.bandwidth !== undefined &&
        s.width === previous.width &&
        s.height === previous.height &&
        s.bandwidth === previous.bandwidth,
    ],
    ['only', () => fresh.length === 1],
  ];
  for (const [rule, test] of rules) {
    const hits = fresh.flatMap((s, i) => (test(s) ? [i] : []));
    if (hits.length === 1) return { index: hits[0]!, rule };
  }
  return null;
}

function hostPath(raw: string): string | null {
  try {
    const url = new URL(raw);
    return `${url.host}${url.pathname}`;
  } catch {
    return null;
  }
}
