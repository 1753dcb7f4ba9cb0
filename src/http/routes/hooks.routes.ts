import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../../app/inputs.js';
import { AppError } from '../../app/errors.js';
import type { Clock } from '../../ports/clock.js';
import { refuseFailure, type AccessDeps } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { owncastHookObservation, owncastHookWire } from './hooks-owncast.wire.js';
import { parseInput } from './params.js';

/** Owncast signs `t=<unix s>.s=<hex>` (PROTOCOLS.md §1.3: note the dot between the parts). */
const SIGNATURE = /^t=(\d{1,12})\.s=([0-9a-f]{64})$/i;
/** Signatures further than this from now are refused (replay window the Owncast docs advise). */
export const SIGNATURE_WINDOW_MS = 300_000;
/** Owncast's `/api/status` lags its webhooks (§1.1: `online` ≥ 7 s after connect); confirm after that. */
export const CONFIRM_DELAY_MS = 10_000;

const hookParams = z.object({ channelId: idSchema });
const hookQuery = z.object({ secret: z.string().optional() }).loose();

const wallClock: Clock = { now: () => Date.now() };

/**
 * Platform webhooks. They authenticate by the channel's `webhookSecret`, not by a bearer token:
 * an `owncast-signature` HMAC over the raw body, or `?secret=` for Owncast versions that cannot
 * sign. Anything else — unknown channel, no secret configured, wrong or stale signature — is 401
 * with the same message, so the route does not reveal which channels exist.
 */
export function hookRoutes(deps: HttpDeps & Pick<AccessDeps, 'limiter'>): FastifyPluginAsync {
  const clock = deps.clock ?? wallClock;
  const seen = new SeenSignatures();
  return async (app) => {
    // The HMAC covers the exact bytes sent, so this plugin keeps bodies raw.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body);
    });

    app.post('/hooks/owncast/:channelId', { config: { public: true } }, async (request, reply) => {
      const { channelId } = parseInput(hookParams, request.params);
      const { secret: querySecret } = parseInput(hookQuery, request.query);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const channel = deps.sentinel.channel(channelId);
      const secret = channel?.platform === 'owncast' ? channel.options['webhookSecret'] : undefined;
      const signature = request.headers['owncast-signature'];
      const authentic =
        typeof secret === 'string' &&
        (typeof signature === 'string'
          ? signatureValid(signature, raw, secret, clock.now())
          : querySecret !== undefined && sameSecret(querySecret, secret));
      // A wrong secret or signature is a guess like a wrong token: the same failure limit applies.
      if (!channel || !authentic)
        refuseFailure(deps.limiter, request, reply, 'webhook signature or secret missing or wrong');
      // A signed webhook is valid for its whole window: one captured copy must not act twice.
      if (typeof signature === 'string' && !seen.first(`${channelId} ${signature}`, clock.now()))
        throw new AppError('conflict', 'this signed webhook was received already');

      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw AppError.invalid([{ path: '', message: 'body must be JSON' }]);
      }
      const hook = owncastHookWire.safeParse(json);
      if (!hook.success)
        throw AppError.invalid([{ path: '', message: 'not an Owncast webhook body' }]);
      const observation = owncastHookObservation(
        hook.data,
        channel.url,
        deps.sentinel.state(channelId),
      );
      if (observation) {
        await deps.sentinel.observe(channelId, observation);
        deps.poll.checkIn(channelId, CONFIRM_DELAY_MS);
      }
      return reply.status(204).send();
    });
  };
}

function signatureValid(header: string, raw: Buffer, secret: string, now: number): boolean {
  const match = SIGNATURE.exec(header.trim());
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(now - t * 1000) > SIGNATURE_WINDOW_MS) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]!}.`).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

/** Constant-time comparison of secrets of any length (hashing first makes the lengths equal). */
function sameSecret(given: string, secret: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * Signatures accepted within the replay window, so each acts once. Only valid signatures are
 * added (making one takes the secret), and entries older than twice the window are dropped.
 */
class SeenSignatures {
  private readonly until = new Map<string, number>();

  /** True the first time `key` is seen within the window; remembers it. */
  first(key: string, now: number): boolean {
    const normalized = key.trim().toLowerCase();
    if ((this.until.get(normalized) ?? 0) > now) return false;
    if (this.until.size >= 1_000) {
      for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
    }
    this.until.set(normalized, now + 2 * SIGNATURE_WINDOW_MS);
    return true;
  }
}
