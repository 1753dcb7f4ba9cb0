import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from '../../test/e2e/harness.js';
import { FakeOwncast } from '../../test/fake-servers/owncast.server.js';

interface Sse {
  readonly id: string | null;
  readonly event: string;
  readonly data: string;
}

function parseBlock(block: string): Sse | null {
  const lines = block.split('\n');
  const field = (name: string) =>
    lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
  const data = field('data');
  return data === null ? null : { id: field('id'), event: field('event') ?? 'message', data };
}

/** Reads an SSE stream until `enough` says so; then aborts it. */
async function readUntil(
  url: string,
  headers: Record<string, string>,
  enough: (messages: Sse[]) => boolean,
  during: () => Promise<void> = () => Promise.resolve(),
): Promise<Sse[]> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const messages: Sse[] = [];
  let rest = '';
  // Runs while the stream is read, as a live client would read it.
  const side = during();
  while (!enough(messages)) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += decoder.decode(value as Uint8Array, { stream: true });
    const blocks = rest.split('\n\n');
    rest = blocks.pop() ?? '';
    for (const block of blocks) {
      const message = parseBlock(block);
      if (message) messages.push(message);
    }
  }
  await side;
  controller.abort();
  return messages;
}

/** A client that sends the request and never reads a byte of the answer. */
function stalledClient(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(
        `GET /api/v1/events/stream HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`,
      );
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('event stream', () => {
  let owncast: FakeOwncast;
  let t: TestOnair;
  let url: string;
  let title = 0;

  beforeAll(async () => {
    owncast = await FakeOwncast.start();
    owncast.goLive('Start', new Date('2026-01-01T00:00:00Z'));
    t = await startTestOnair({
      channels: [{ id: 'alice', platform: 'owncast', url: owncast.url }],
      eventStream: { perUser: 5, total: 6, maxUnsentBytes: '1MiB', replay: 100 },
    });
    await t.api('POST', '/api/v1/channels/alice/check');
    url = await t.onair.http.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.stop();
    await owncast.close();
    removeDir(t.dir);
  });

  /** One announced event: the title changes and onair checks. */
  async function retitle(): Promise<string> {
    const next = `Title ${String(++title)}`;
    owncast.setTitle(next);
    t.time.set(t.time.now() + 1_000);
    expect((await t.api('POST', '/api/v1/channels/alice/check')).status).toBe(200);
    return next;
  }
  const titleOf = (m: Sse) => (JSON.parse(m.data) as { title: string }).title;

  it('gives every event an id and replays what a client missed after Last-Event-ID', async () => {
    const stream = `${url}/api/v1/events/stream`;
    const first = await readUntil(
      stream,
      {},
      (ms) => ms.filter((m) => m.event === 'event').length >= 2,
      async () => {
        await retitle();
        await retitle();
      },
    );
    const seen = first.filter((m) => m.event === 'event');
    expect(seen.every((m) => m.id !== null && m.id === JSON.parse(m.data).id)).toBe(true);
    const last = seen.at(-1)!;
    // Disconnected: two more changes happen.
    const missed = [await retitle(), await retitle()];
    const again = await readUntil(
      stream,
      { 'last-event-id': last.id! },
      (ms) => ms.filter((m) => m.event === 'event').length >= 2,
    );
    const replayed = again.filter((m) => m.event === 'event');
    expect(replayed.map(titleOf)).toEqual(missed);
    expect(new Set(replayed.map((m) => m.id)).size).toBe(2);
    // Live events follow the replay on the same stream, without repeating it.
    const live = await readUntil(
      stream,
      { 'last-event-id': replayed.at(-1)!.id! },
      (ms) => ms.some((m) => m.event === 'event'),
      async () => {
        await retitle();
      },
    );
    expect(live.filter((m) => m.event === 'event').map(titleOf)).toEqual([
      `Title ${String(title)}`,
    ]);
  });

  it('tells a client whose Last-Event-ID is unknown to reload', async () => {
    const messages = await readUntil(
      `${url}/api/v1/events/stream`,
      { 'last-event-id': 'no-such-event' },
      (ms) => ms.some((m) => m.event === 'reset'),
    );
    expect(messages.find((m) => m.event === 'reset')?.data).toContain('reload');
  });

  it('drops clients that do not read after a bounded amount, keeps those that do', async () => {
    const stalled = await Promise.all([stalledClient(url), stalledClient(url), stalledClient(url)]);
    const big = 'x'.repeat(16_384);
    const count = 4_096;
    // 64 MiB of updates per client: without a bound, onair would buffer 192 MiB for the stalled three.
    const read = await readUntil(
      `${url}/api/v1/events/stream`,
      {},
      (ms) => ms.length >= count,
      async () => {
        for (let i = 1; i <= count; i++) {
          t.onair.bus.publish({ type: 'state', channelId: 'alice', status: 'live', title: big });
          // Let the sockets move between bursts, as a live stream would.
          if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      },
    );
    // The reading client got everything.
    expect(read.filter((m) => m.event === 'state')).toHaveLength(count);
    // The stalled ones, reading at last, find the stream cut off after a bounded amount (socket
    // buffers plus maxUnsentBytes), not the 64 MiB that were published.
    const received = await Promise.all(
      stalled.map(
        (s) =>
          new Promise<number>((resolve) => {
            let bytes = 0;
            s.on('data', (chunk: Buffer) => (bytes += chunk.length));
            s.on('error', () => undefined);
            s.once('close', () => {
              resolve(bytes);
            });
            s.resume();
          }),
      ),
    );
    for (const bytes of received) expect(bytes).toBeLessThan(24 * 1_048_576);
  }, 60_000);

  it('caps streams per user and in all with a clear 429', async () => {
    const open: AbortController[] = [];
    const connectOne = async () => {
      const controller = new AbortController();
      const res = await fetch(`${url}/api/v1/events/stream`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        signal: controller.signal,
      });
      open.push(controller);
      return res;
    };
    try {
      // Streams of the tests before may still be closing: open until refused.
      let refused: Response | null = null;
      for (let i = 0; i < 6 && refused === null; i++) {
        const res = await connectOne();
        if (res.status !== 200) refused = res;
      }
      expect(refused?.status).toBe(429);
      expect(JSON.stringify(await refused!.json())).toContain('eventStream.perUser');
    } finally {
      for (const c of open) c.abort();
    }
    // A closed stream gives its slot back (once the server has seen it close).
    let status = 0;
    for (let tries = 0; status !== 200 && tries < 200; tries++) {
      const res = await connectOne();
      status = res.status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
    for (const c of open) c.abort();
  });
});
