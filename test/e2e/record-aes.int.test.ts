import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import { listen, type Running } from '../fake-servers/listen.js';
import { stopNginx, waitFor } from './hls-peers.js';
import { api, decodeErrors, duration, startRecordingOnair } from './record-peers.js';
import { exited, startNginxRtmp, stopChild, writeHls, type RtmpServer } from './rtmp-peers.js';

/**
 * AES-128 HLS as CDNs serve it (ffmpeg `-hls_key_info_file`, TEST-PEERS.md): onair fetches the
 * key, decrypts each segment (IV from the tag, or the media sequence number) and records a file
 * that decodes without an error. Negative twin: the same segments written as fetched do not.
 */

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/bin/ffprobe', '/usr/sbin/nginx'].every((p) =>
  existsSync(p),
);
const SECONDS = 12;

describe.skipIf(!peersInstalled)('recording an AES-128 encrypted HLS stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-record-aes-'));
  let server: RtmpServer;
  let onair: Onair | undefined;
  const writers: ChildProcess[] = [];
  /**
   * ffmpeg always writes the IV it used (the segment's sequence number) into the tag: this origin
   * serves the same files with the `IV` attribute removed, so the IV must come from the MSN.
   */
  let withoutIv: Running | undefined;

  beforeAll(async () => {
    server = await startNginxRtmp(join(dir, 'nginx'));
    withoutIv = await listen((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (!/^\/[\w-]+(?:\.key|\/[\w-]+\.(?:m3u8|ts))$/.test(path)) {
        res.writeHead(404).end();
        return;
      }
      let body: Buffer;
      try {
        body = readFileSync(join(server.plainDir, path));
      } catch {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200);
      res.end(
        path.endsWith('.m3u8') ? body.toString('utf8').replace(/,IV=0x[\da-f]+/gi, '') : body,
      );
    });
  }, 30_000);

  afterAll(async () => {
    await onair?.stop();
    for (const w of writers) await stopChild(w, 'SIGKILL');
    await withoutIv?.close();
    stopNginx(server.pidFile);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['an IV in the tag', true],
    ['the IV from the media sequence number (no IV attribute)', false],
  ])(
    'records a decodable file with %s',
    async (_name, withIv) => {
      const name = withIv ? 'aes-iv' : 'aes-msn';
      const keyFile = join(server.plainDir, `${name}.key`);
      writeFileSync(keyFile, randomBytes(16), { mode: 0o644 });
      const keyInfo = join(dir, `${name}.keyinfo`);
      writeFileSync(keyInfo, [`../${name}.key`, keyFile].join('\n'));
      const url = withIv
        ? `${server.plain}${name}/index.m3u8`
        : `${withoutIv!.url}/${name}/index.m3u8`;
      const dataDir = join(dir, name);
      mkdirSync(dataDir);
      onair = await startRecordingOnair(dataDir, {
        poll: { interval: '1s' },
        recordings: { minFreeSpace: '1MB', stallAfter: '4s' },
        channels: [{ id: name, platform: 'hls', url, record: true }],
      });
      const app = onair;
      const writer = writeHls(server.plainDir, name, { keyInfo, seconds: SECONDS });
      writers.push(writer);
      await exited(writer);
      const served = await (await fetch(url)).text();
      expect(served).toContain('#EXT-X-KEY:METHOD=AES-128');
      expect(served.includes(',IV=0x')).toBe(withIv);
      await waitFor(
        async () => {
          const parts = (await api(app, 'GET', `/api/v1/recordings?channel=${name}`)).json as {
            status: string;
          }[];
          return parts.length > 0 && parts.every((p) => p.status !== 'recording');
        },
        60_000,
        'the recording to end with the stream',
      );
      await app.stop();
      onair = undefined;
      const recordings = join(dataDir, 'data', 'recordings');
      const files = readdirSync(recordings, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.ts'),
      );
      expect(files).toHaveLength(1);
      const file = join(recordings, files[0]!);
      expect(await decodeErrors(file)).toBe('');
      // The writer's window holds the last 6 segments; onair saw the stream from its start or near it.
      expect(await duration(file)).toBeGreaterThan(5);

      // Negative twin: the encrypted segments as served, concatenated, do not decode.
      const segments = readdirSync(join(server.plainDir, name))
        .filter((f) => f.endsWith('.ts'))
        .sort();
      const raw = join(dir, `${name}-raw.ts`);
      writeFileSync(
        raw,
        Buffer.concat(segments.map((s) => readFileSync(join(server.plainDir, name, s)))),
      );
      expect(await decodeErrors(raw)).not.toBe('');
    },
    120_000,
  );
});
