import type { Observation } from './model.js';
import { clipUnits } from './text.js';

/**
 * The most onair keeps of what a platform says (README, "Limits"). A platform is not trusted to
 * bound its own strings: a 1 MiB title was stored, announced and listed as received. Lengths are
 * UTF-16 code units (what JavaScript and the API count); cuts fall on whole characters.
 */
export const INGEST_LIMITS = {
  title: 500,
  name: 200,
  tags: 30,
  tag: 100,
  /** Longer thumbnail URLs are dropped (a cut URL names nothing). */
  thumbnail: 2_048,
  error: 1_000,
} as const;

/** `observation` within `INGEST_LIMITS`: texts clipped with `…`, tags counted and clipped. */
export function clipObservation(observation: Observation): Observation {
  switch (observation.kind) {
    case 'live':
      return {
        ...observation,
        title: clipOrNull(observation.title, INGEST_LIMITS.title),
        name: clipOrNull(observation.name, INGEST_LIMITS.name),
        tags: observation.tags
          .slice(0, INGEST_LIMITS.tags)
          .map((tag) => clipUnits(tag, INGEST_LIMITS.tag, '…')),
        thumbnail:
          observation.thumbnail !== null && observation.thumbnail.length > INGEST_LIMITS.thumbnail
            ? null
            : observation.thumbnail,
      };
    case 'failed':
      return { ...observation, error: clipUnits(observation.error, INGEST_LIMITS.error, '…') };
    case 'offline':
      return observation;
  }
}

function clipOrNull(text: string | null, max: number): string | null {
  return text === null ? null : clipUnits(text, max, '…');
}
