// An onair extractor plugin: finds the playable HLS URL(s) of a channel.
//
// Configure it with (onair.yaml):
//   extractors:
//     - use: plugin
//       module: ./examples/extractor-plugin.mjs
//       channels: [my-cam]          # optional: only these channels (else every channel)
//       platform: hls               # optional: only channels of this platform
//
// Contract: export `resolve(channel, context)` (or a default export with a `resolve` method).
//   channel: { id, url, platform, options }  — the channel as configured
//   context: { signal }                      — an AbortSignal; stop work when it fires
// Return (or resolve to) a non-empty array of sources, best first, or `{ sources, master }`:
//   { url, quality, title?, width?, height?, bandwidth?, expiresAt? }
//   url: absolute http(s) URL of an HLS playlist; expiresAt: epoch milliseconds when the URL's
//   token stops working (if you know it; otherwise onair reads it from the URL or refreshes
//   every `refresh.interval`).
// onair calls resolve() again before the URL expires and whenever the origin answers 403/410,
// so return a freshly signed URL every time. Throw (or reject) to report a failure; the message
// is shown in GET /api/v1/streams/active with any URL in it redacted. Return `null` (or `[]`) when
// the channel is not live: for channels of `platform: plugin` that is how onair learns "offline"
// (a throw is a failed check, never offline).
//
// This example signs nginx secure_link URLs with the token in the path
// (see docs: TEST-PEERS.md, "nginx with expiring tokens"):
//   /t/<md5>/<expires>/<stream>/index.m3u8, md5 over "<expires>/<stream> <secret>".
import { createHash } from 'node:crypto';

const SECRET = process.env.EXAMPLE_SECURE_LINK_SECRET ?? 'change-me';
const LIFETIME_S = 60;

export async function resolve(channel) {
  const url = new URL(channel.url); // e.g. http://127.0.0.1:8088/live (the stream prefix)
  const stream = url.pathname.replace(/^\/+|\/+$/g, '');
  const expires = Math.floor(Date.now() / 1000) + LIFETIME_S;
  const md5 = createHash('md5').update(`${expires}/${stream} ${SECRET}`).digest('base64url');
  return [
    {
      url: `${url.origin}/t/${md5}/${expires}/${stream}/index.m3u8`,
      quality: 'best',
      expiresAt: expires * 1000,
    },
  ];
}
