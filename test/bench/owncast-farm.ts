/**
 * A lean fake Owncast farm for benchmarks, run as its own process so it does not share a core's
 * event loop with what is measured. `/c/<n>/api/status` answers for channel n; a fraction of the
 * channels flip between live and offline every few seconds. Prints `PORT <port>` when listening.
 */
import { createServer } from 'node:http';

const flipEveryMs = Number(process.env['FARM_FLIP_MS'] ?? 5_000);
const liveModulo = Number(process.env['FARM_LIVE_MODULO'] ?? 100);
const offline = Buffer.from(
  JSON.stringify({
    online: false,
    lastConnectTime: null,
    lastDisconnectTime: null,
    versionNumber: '0.2.3',
    streamTitle: '',
  }),
);
const config = Buffer.from(JSON.stringify({ name: 'Farm', tags: ['bench'] }));
const liveBody = (phase: number) =>
  Buffer.from(
    JSON.stringify({
      online: true,
      viewerCount: 3,
      lastConnectTime: new Date(phase * flipEveryMs).toISOString().replace(/\.\d+Z$/, 'Z'),
      versionNumber: '0.2.3',
      streamTitle: `Phase ${phase}`,
    }),
  );
let phase = Math.floor(Date.now() / flipEveryMs);
let live = liveBody(phase);
setInterval(() => {
  phase = Math.floor(Date.now() / flipEveryMs);
  live = liveBody(phase);
}, 250).unref();

const server = createServer((req, res) => {
  const url = req.url ?? '';
  const match = /^\/c\/(\d+)\/api\/(status|config)$/.exec(url);
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  const n = Number(match[1]);
  const body =
    match[2] === 'config' ? config : n % liveModulo === 0 && phase % 2 === 0 ? live : offline;
  res
    .writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    .end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`PORT ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
