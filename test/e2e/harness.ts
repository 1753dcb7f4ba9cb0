import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { stringify } from 'yaml';
import { loadOnairConfig, startOnair, type Onair } from '../../src/main.js';
import { ManualTime } from '../fakes/manual-time.js';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestOnair {
  readonly onair: Onair;
  readonly time: ManualTime;
  readonly dir: string;
  /** Stops the app (keeps the data directory, so a test can restart on it). */
  stop(): Promise<void>;
  /** Authorised in-process request. */
  api(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }>;
}

/**
 * The whole app in process on a manual clock: real SQLite in a temp dir, real HTTP to fakes,
 * no listening socket. Poll and delivery timers only fire when the test advances the clock.
 */
export async function startTestOnair(
  config: Record<string, unknown>,
  options: { dir?: string; time?: ManualTime; logger?: Logger; random?: () => number } = {},
): Promise<TestOnair> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'onair-test-'));
  const time = options.time ?? new ManualTime();
  const file = join(dir, 'onair.yaml');
  writeFileSync(
    file,
    stringify({
      dataDir: join(dir, 'data'),
      auth: { adminToken: ADMIN_TOKEN },
      log: { level: 'silent' },
      ...config,
    }),
  );
  const loaded = loadOnairConfig(file, {});
  const onair = await startOnair({
    loaded,
    logger: options.logger ?? pino({ level: 'silent' }),
    clock: time,
    timers: time,
    monotonic: time.monotonic,
    random: options.random ?? (() => 0.5),
    listen: false,
  });
  return {
    onair,
    time,
    dir,
    stop: () => onair.stop(),
    async api(method, url, body) {
      const res = await onair.http.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return {
        status: res.statusCode,
        json: res.body === '' ? null : (JSON.parse(res.body) as unknown),
      };
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
