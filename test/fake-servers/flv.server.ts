import type { ServerResponse } from 'node:http';
import { flvHeader, writeTag } from '../../src/core/flv/tags.js';
import { listen, type Running } from './listen.js';

/** A scripted HTTP-FLV origin: `/live.flv` streams tags while live, 404 when offline, or misbehaves. */
export class FakeFlv {
  live = true;
  fault: 'error500' | 'hang' | 'garbage' | 'huge' | null = null;
  private readonly running: Running;
  private readonly open = new Set<ServerResponse>();

  private constructor(running: Running) {
    this.running = running;
  }

  get url(): string {
    return `${this.running.url}/live.flv`;
  }

  static async start(): Promise<FakeFlv> {
    let fake: FakeFlv | null = null;
    const running = await listen((req, res) => {
      fake?.serve(res);
    });
    fake = new FakeFlv(running);
    return fake;
  }

  private serve(res: ServerResponse): void {
    if (this.fault === 'hang') return;
    if (this.fault === 'error500') {
      res.writeHead(500).end();
      return;
    }
    if (!this.live) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'video/x-flv' });
    if (this.fault === 'garbage') {
      res.end('<html>not a stream</html>'.repeat(10));
      return;
    }
    res.write(flvHeader({ audio: false, video: true }));
    // `huge`: bytes that never form a tag (a broken origin), well past what a probe reads.
    if (this.fault === 'huge') {
      res.end(Buffer.alloc(256 * 1024, 0xff));
      return;
    }
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    res.write(writeTag(9, 0, Uint8Array.of(0x17, 0x00, 0, 0, 0, 1, 0x64)));
    res.write(writeTag(9, 0, Uint8Array.of(0x17, 0x01, 0, 0, 0, 0xaa)));
    // Live: the body stays open (more tags would follow) until the client hangs up.
  }

  close(): Promise<void> {
    for (const res of this.open) res.destroy();
    return this.running.close();
  }
}
