import { z } from 'zod';

/**
 * Where a proxy URL's bytes come from, by meaning rather than by URL, so a URL can be found
 * again after the channel was re-resolved with fresh tokens:
 * - `master`: the channel's multivariant playlist (upstream, or one onair writes from the sources);
 * - `source`: one of the extractor's sources, found again with the stream matcher;
 * - `child`: a URI inside a parent playlist, found again by its `ident` (see `UriRef.ident`).
 * Every locator records the upstream URL it had when signed (`u`), used while still fresh.
 */
export type Locator =
  | { readonly t: 'master' }
  | {
      readonly t: 'source';
      readonly u: string;
      readonly q: string;
      readonly ti?: string | undefined;
      readonly w?: number | undefined;
      readonly h?: number | undefined;
      readonly b?: number | undefined;
    }
  | { readonly t: 'child'; readonly u: string; readonly i: string; readonly p: Locator };

const locatorSchema: z.ZodType<Locator> = z.lazy(() =>
  z.union([
    z.object({ t: z.literal('master') }),
    z.object({
      t: z.literal('source'),
      u: z.string(),
      q: z.string(),
      ti: z.string().optional(),
      w: z.number().optional(),
      h: z.number().optional(),
      b: z.number().optional(),
    }),
    z.object({ t: z.literal('child'), u: z.string(), i: z.string(), p: locatorSchema }),
  ]),
);

/** The sealed content of a proxy URL. */
export const proxyTokenSchema = z.object({
  /** Channel id. */
  c: z.string(),
  /** Viewer session: every request through the URL keeps this viewer reader alive. */
  v: z.string(),
  /** The channel's stream generation when signed. */
  g: z.number().int(),
  /** Expiry, epoch ms. */
  e: z.number(),
  /** The target is a playlist (rewritten) rather than bytes (streamed). */
  pl: z.boolean(),
  /**
   * A keepalive's in-process read (`v` is the keepalive id): serving it acquires no reader,
   * since the keepalive holds its own. Never handed out to a client.
   */
  k: z.literal(true).optional(),
  l: locatorSchema,
});
export type ProxyToken = z.output<typeof proxyTokenSchema>;
