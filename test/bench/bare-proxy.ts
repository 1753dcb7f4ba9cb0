/**
 * The floor for `bench:proxy`: the least a Node proxy can do per segment — `node:http` server,
 * undici request to the origin's `/plain/` files, `pipeline` to the client; no tokens, no
 * framework. Usage: bare-proxy.ts <origin>; prints `PORT <n>`.
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';

const origin = process.argv[2] ?? '';
const agent = new Agent({ connections: 128, pipelining: 1 });
const server = createServer((req, res) => {
  request(`${origin}/plain${req.url ?? '/'}`, { dispatcher: agent }).then(
    (up) => {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'content-length']) {
        const value = up.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      res.writeHead(up.statusCode, headers);
      pipeline(up.body, res, () => undefined);
    },
    () => {
      res.writeHead(502).end();
    },
  );
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`PORT ${typeof address === 'object' && address !== null ? address.port : 0}`);
});
