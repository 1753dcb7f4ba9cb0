import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, type Running } from './listen.js';

export type HlsFault = null | 'error500' | 'hang' | 'garbage' | 'huge' | 'redirectLoop' | 'gone';

/**
 * A fake HLS origin: `/live/master.m3u8` (two variants, relative URIs), `/live/<v>/index.m3u8`
 * (a sliding window that moves on each request), and `/redirect/master.m3u8` that 302s to the
 * master on another path, so relative URIs must resolve against the final URL.
 */
export class FakeHls {
  live = true;
  ended = false;
  fault: HlsFault = null;
  requests: string[] = [];
  private sequence = 0;
  private running: Running | null = null;

  static async start(): Promise<FakeHls> {
    const fake = new FakeHls();
    fake.running = await listen((req, res) => {
      fake.handle(req, res);
    });
    return fake;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return this.running.url;
  }

  async close(): Promise<void> {
    await this.running?.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    this.requests.push(path);
    switch (this.fault) {
      case 'error500':
        res.writeHead(503).end();
        return;
      case 'hang':
        return;
      case 'garbage':
        res
          .writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' })
          .end('<html>not a playlist</html>');
        return;
      case 'huge':
        res.writeHead(200).end(`#EXTM3U\n${'#EXT-X-COMMENT\n'.repeat(200_000)}`);
        return;
      case 'redirectLoop':
        res
          .writeHead(302, { location: path.endsWith('a.m3u8') ? '/loop/b.m3u8' : '/loop/a.m3u8' })
          .end();
        return;
      case 'gone':
        res.writeHead(404).end();
        return;
      case null:
        break;
    }
    if (path === '/redirect/master.m3u8') {
      res.writeHead(302, { location: '/cdn/token123/master.m3u8' }).end();
      return;
    }
    if (path.endsWith('/master.m3u8')) {
      if (!this.live) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      res.end(
        '#EXTM3U\n#EXT-X-VERSION:3\n' +
          '#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,NAME="720p"\n720p/index.m3u8\n' +
          '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,NAME="360p"\n360p/index.m3u8\n',
      );
      return;
    }
    if (
      path.endsWith('/index.m3u8') &&
      (path.startsWith('/live/') || path.startsWith('/cdn/token123/'))
    ) {
      if (!this.live) {
        res.writeHead(404).end();
        return;
      }
      this.sequence++;
      const lines = [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:2',
        `#EXT-X-MEDIA-SEQUENCE:${this.sequence}`,
      ];
      for (let i = 0; i < 3; i++) lines.push('#EXTINF:2.0,', `seg_${this.sequence + i}.ts`);
      if (this.ended) lines.push('#EXT-X-ENDLIST');
      res
        .writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' })
        .end(`${lines.join('\n')}\n`);
      return;
    }
    res.writeHead(404).end();
  }
}
