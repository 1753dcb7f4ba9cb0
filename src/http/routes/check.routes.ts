import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../app/errors.js';
import type { PlatformAdapter } from '../../ports/platform.js';
import { parseInput } from './params.js';

export interface CheckRouteDeps {
  readonly platforms: ReadonlyMap<string, PlatformAdapter>;
  readonly checkTimeoutMs: number;
}

const checkBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  platform: z.string().min(1).optional(),
});

/** A channel id suggested from a URL: host and last path segment, in the id alphabet. */
export function suggestId(url: URL): string {
  const last = url.pathname
    .split('/')
    .filter((s) => s !== '' && !/\.m3u8$/i.test(s))
    .pop();
  const raw = [url.hostname.replace(/^www\./, '').split('.')[0], last]
    .filter((s) => s !== undefined && s !== '')
    .join('-');
  const id = raw
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return id === '' ? 'channel' : id;
}

/**
 * What `onair check` sees for a pasted URL, before it becomes a channel: the platforms that
 * recognise it (most specific first) and one probe with the chosen or first one.
 */
export function checkRoutes(deps: CheckRouteDeps): FastifyPluginAsync {
  return async (app) => {
    // The server fetches the pasted URL, as it would for a new channel: the same right as adding one.
    app.post('/check', { config: { permission: { action: 'manage' } } }, async (request) => {
      const body = parseInput(checkBody, request.body);
      const url = new URL(body.url);
      const recognisedBy = [...deps.platforms.values()]
        .filter((p) => p.recognises(url))
        .map((p) => p.id);
      const platformId = body.platform ?? recognisedBy[0];
      if (platformId === undefined) {
        throw AppError.invalid([
          {
            path: 'url',
            message: `no platform recognises this URL; choose one of ${[...deps.platforms.keys()].join(', ')}`,
          },
        ]);
      }
      const platform = deps.platforms.get(platformId);
      if (!platform)
        throw AppError.invalid([
          {
            path: 'platform',
            message: `unknown platform "${platformId}" (known: ${[...deps.platforms.keys()].join(', ')})`,
          },
        ]);
      const problem = platform.validateUrl(body.url);
      if (problem !== null) throw AppError.invalid([{ path: 'url', message: problem }]);
      const observation = await platform.probe(
        {
          id: 'check',
          platform: platform.id,
          url: body.url,
          name: null,
          intervalMs: null,
          options: {},
        },
        { wasLive: false },
        AbortSignal.timeout(deps.checkTimeoutMs),
      );
      return {
        platform: platform.id,
        recognisedBy,
        platforms: [...deps.platforms.keys()],
        suggestedId: suggestId(url),
        observation:
          observation.kind === 'live'
            ? {
                ...observation,
                startedAt:
                  observation.startedAt === null
                    ? null
                    : new Date(observation.startedAt).toISOString(),
              }
            : observation,
      };
    });
  };
}
