import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import type { Channel } from '../../core/model.js';
import type { Extractor, ResolveResult, StreamSource } from '../../ports/extractor.js';
import { redactText } from './plugin.extractor.js';

/** `streamlink --json URL` output: the part we use (wire shape, parsed at the edge). */
const streamlinkWire = z.object({
  streams: z
    .record(
      z.string(),
      z.object({ type: z.string(), url: z.string(), master: z.string().optional() }),
    )
    .optional(),
  metadata: z.object({ title: z.string().nullish() }).optional(),
  error: z.string().optional(),
});

/** The `streamlink` executable on PATH, or null when it is not installed. */
export function findStreamlink(path = process.env['PATH'] ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'streamlink');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * Uses streamlink's plugins (hundreds of sites) to find HLS streams: `streamlink --json URL`
 * (streamlink's own `hls://`, `hlsvariant://` and `httpstream://` forms included). HLS streams
 * are kept (the proxy speaks HLS), plain HTTP ones only when there is none; `best` first, the
 * `best`/`worst` aliases dropped when they duplicate a named stream. "No playable streams" and a
 * 404/410 from the stream are offline.
 */
export class StreamlinkExtractor implements Extractor {
  readonly id = 'streamlink';
  private readonly executable: string;
  private readonly timeoutMs: number;

  constructor(executable: string, timeoutMs: number) {
    this.executable = executable;
    this.timeoutMs = timeoutMs;
  }

  resolve(channel: Channel, signal: AbortSignal): Promise<ResolveResult> {
    return new Promise((done) => {
      execFile(
        this.executable,
        ['--json', channel.url],
        {
          timeout: this.timeoutMs,
          signal,
          maxBuffer: 4 * 1024 * 1024,
          env: { ...process.env, PYTHONWARNINGS: 'ignore' },
        },
        (error, stdout) => {
          // streamlink exits 1 with a JSON `error` for "no streams"; parse stdout either way.
          let json: unknown;
          try {
            json = JSON.parse(stdout);
          } catch {
            done({
              ok: false,
              reason: error
                ? `streamlink failed: ${redactText(error.message)}`
                : 'streamlink printed no JSON',
              retryable: true,
            });
            return;
          }
          done(toResult(streamlinkWire.safeParse(json)));
        },
      );
    });
  }
}

function toResult(parsed: z.ZodSafeParseResult<z.output<typeof streamlinkWire>>): ResolveResult {
  if (!parsed.success)
    return { ok: false, reason: 'streamlink printed unexpected JSON', retryable: false };
  const { streams, metadata, error } = parsed.data;
  if (error !== undefined) {
    // What streamlink says when the site answers but nothing is streaming, or when the stream
    // itself is gone ("Unable to open URL: … (404 Client Error: …)"): offline, not an error.
    const offline = /no playable streams|\((?:404|410) client error/i.test(error);
    return {
      ok: false,
      reason: `streamlink: ${redactText(error)}`,
      retryable: !offline,
      ...(offline ? { offline } : {}),
    };
  }
  const title = metadata?.title ?? undefined;
  // HLS streams (what the proxy speaks); plain HTTP ones (`httpstream://`, an FLV relay) only
  // when there is no HLS stream.
  const all = Object.entries(streams ?? {});
  const onlyHls = all.filter(([, s]) => s.type === 'hls');
  const hls = onlyHls.length > 0 ? onlyHls : all.filter(([, s]) => s.type === 'http');
  const named = hls.filter(([name]) => name !== 'best' && name !== 'worst');
  const pick = named.length > 0 ? named : hls;
  const best = hls.find(([name]) => name === 'best')?.[1].url;
  const sources: StreamSource[] = pick
    .map(([name, s]) => ({ url: s.url, quality: name, ...(title !== undefined ? { title } : {}) }))
    .sort((a, b) => Number(b.url === best) - Number(a.url === best));
  if (sources.length === 0)
    return { ok: false, reason: 'streamlink found no HLS or HTTP stream', retryable: true };
  const master = hls.find(([, s]) => s.master !== undefined)?.[1].master;
  return { ok: true, sources, ...(master !== undefined ? { master } : {}) };
}
