import { authHeaders } from './api.svelte.js';
import type { FeedMessage } from './types.js';

/**
 * The live feed (`/api/v1/events/stream`) read with fetch rather than EventSource, because
 * EventSource cannot send a bearer header; the cookie rides along either way. Reconnects with
 * backoff; returns a function that stops it.
 */
export function openFeed(
  onMessage: (m: FeedMessage) => void,
  onConnected: (connected: boolean) => void,
): () => void {
  const controller = new AbortController();
  let delay = 1_000;
  const stopped = () => controller.signal.aborted;
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await fetch('/api/v1/events/stream', {
          headers: { accept: 'text/event-stream', ...authHeaders() },
          credentials: 'same-origin',
          signal: controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`feed: HTTP ${res.status}`);
        onConnected(true);
        delay = 1_000;
        await readEvents(res.body, onMessage);
      } catch {
        // Stopping aborts the fetch or the read in flight: that ends the loop, not a reconnect.
        // (Read through a function: the narrowing from the loop condition does not see abort().)
        if (stopped()) return;
      }
      onConnected(false);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  };
  void run();
  return () => {
    controller.abort();
  };
}

async function readEvents(
  body: ReadableStream<Uint8Array>,
  onMessage: (m: FeedMessage) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length === 0 || (type !== 'event' && type !== 'state' && type !== 'delivery'))
        continue;
      try {
        const parsed: unknown = JSON.parse(data.join('\n'));
        // The server's own frames: their shape is the API's (types.ts), not re-validated here.
        onMessage({ type, data: parsed } as FeedMessage);
      } catch {
        // A frame that is not JSON is not ours to show.
      }
    }
  }
}
