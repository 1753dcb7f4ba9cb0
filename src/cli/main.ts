import { parseArgs } from 'node:util';
import type { DestinationStream } from 'pino';
import { UndiciHttpClient } from '../adapters/http-client/undici-http-client.js';
import { sendTestNotification } from '../app/delivery-worker.js';
import { systemClock } from '../adapters/time/system-time.js';
import { ConfigError, type LoadedConfig } from '../config/load.js';
import {
  USER_AGENT,
  createLogger,
  createRegistries,
  loadOnairConfig,
  roleProblem,
  startOnair,
} from '../main.js';
import type { Role } from '../ports/jobs.js';
import { dataDirInUse, lockDataDir } from '../adapters/store/sqlite/data-dir-lock.js';
import { resetAdmin } from './reset-admin.js';
import { explainStartupFailure } from './startup-failure.js';

const USAGE = `onair — live-stream sentinel

Usage:
  onair serve [--config FILE]          run the service (embedded SQLite under dataDir)
        [--role all|api|worker]        scaled out (store.url + jobs.redis): HTTP only, or poll and deliver only
  onair check <platform> <url>         probe a URL once and print the observation as JSON
  onair config check [--config FILE]   validate a config file, listing every problem
  onair auth reset-admin [--config FILE]
                                       print a new generated admin token; the old one is revoked
  onair notify test <target> [--config FILE]
                                       send a test message to a configured target and print the answer
  onair --help | --version

The config file may also be named by ONAIR_CONFIG; ONAIR_* variables override settings.`;

type Env = Readonly<Record<string, string | undefined>>;

/** Runs a CLI command; returns the exit code. */
export async function main(argv: readonly string[], env: Env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        role: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log('onair 0.1.0');
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'serve':
      return serve(values.config, env, values.role);
    case 'check':
      return check(rest, env);
    case 'config':
      if (rest[0] === 'check') return configCheck(values.config, env);
      break;
    case 'auth':
      if (rest[0] === 'reset-admin') {
        const loaded = load(values.config, env);
        return loaded === 1 ? 1 : resetAdmin(loaded.config);
      }
      break;
    case 'notify':
      if (rest[0] === 'test') return notifyTest(rest[1], values.config, env);
      break;
  }
  console.error(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
  return 2;
}

function registriesForCli(env: Env) {
  const http = new UndiciHttpClient({ connectionsPerOrigin: 4, userAgent: USER_AGENT });
  const timeoutMs = Number(env['ONAIR_CHECK_TIMEOUT_MS'] ?? 10_000);
  return {
    http,
    registries: createRegistries(
      http,
      { timeoutMs, maxBytes: 1_048_576, deliveryTimeoutMs: timeoutMs },
      systemClock,
    ),
  };
}

/** The validated config, or exit code 1 after printing every problem. */
function load(file: string | undefined, env: Env): LoadedConfig | 1 {
  try {
    return loadOnairConfig(file, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
}

async function configCheck(file: string | undefined, env: Env): Promise<number> {
  const loaded = load(file, env);
  if (loaded === 1) return 1;
  for (const warning of loaded.warnings) console.error(`warning: ${warning}`);
  console.log(
    `configuration OK (${loaded.source}): ${loaded.channels.length} channels, ${loaded.targets.length} targets`,
  );
  return 0;
}

async function notifyTest(
  targetId: string | undefined,
  file: string | undefined,
  env: Env,
): Promise<number> {
  if (targetId === undefined) {
    console.error(`usage: onair notify test <target> [--config FILE]\n\n${USAGE}`);
    return 2;
  }
  const loaded = load(file, env);
  if (loaded === 1) return 1;
  const target = loaded.targets.find((t) => t.id === targetId);
  if (!target) {
    console.error(
      `no target "${targetId}" in ${loaded.source} (targets: ${loaded.targets.map((t) => t.id).join(', ') || 'none'})`,
    );
    return 2;
  }
  const { http, registries } = registriesForCli(env);
  try {
    const notifier = registries.notifiers.get(target.type);
    if (!notifier) {
      console.error(`no notifier for type "${target.type}"`);
      return 2;
    }
    const result = await sendTestNotification(
      notifier,
      target,
      systemClock.now(),
      AbortSignal.timeout(60_000),
    );
    console.log(JSON.stringify(result, null, 2));
    return result.ok ? 0 : 1;
  } finally {
    await http.close();
  }
}

async function check([platformId, url]: readonly string[], env: Env): Promise<number> {
  if (platformId === undefined || url === undefined) {
    console.error(`usage: onair check <platform> <url>\n\n${USAGE}`);
    return 2;
  }
  const { http, registries } = registriesForCli(env);
  try {
    const platform = registries.platforms.get(platformId);
    if (!platform) {
      console.error(
        `unknown platform "${platformId}" (known: ${[...registries.platforms.keys()].join(', ')})`,
      );
      return 2;
    }
    const problem = platform.validateUrl(url);
    if (problem !== null) {
      console.error(`url: ${problem}`);
      return 2;
    }
    const observation = await platform.probe(
      { id: 'check', platform: platformId, url, name: null, intervalMs: null, options: {} },
      { wasLive: false },
      AbortSignal.timeout(60_000),
    );
    console.log(JSON.stringify(observation, null, 2));
    return observation.kind === 'failed' ? 1 : 0;
  } finally {
    await http.close();
  }
}

const ROLES: readonly Role[] = ['all', 'api', 'worker'];

/** Human-readable lines on a terminal (or when asked), else pino's JSON lines on stdout. */
async function logDestination(log: {
  readonly format: 'auto' | 'json' | 'pretty';
}): Promise<DestinationStream | undefined> {
  const pretty = log.format === 'pretty' || (log.format === 'auto' && process.stdout.isTTY);
  if (!pretty) return undefined;
  // Loaded only when used: JSON output needs none of it.
  const { default: build } = await import('pino-pretty');
  return build({
    colorize: process.stdout.isTTY,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    sync: true,
  });
}

async function serve(file: string | undefined, env: Env, roleArg = 'all'): Promise<number> {
  const role = ROLES.find((r) => r === roleArg);
  if (role === undefined) {
    console.error(`--role must be one of ${ROLES.join(', ')}, not "${roleArg}"`);
    return 2;
  }
  const loaded = load(file, env);
  if (loaded === 1) return 1;
  const problem = roleProblem(loaded.config, role);
  if (problem !== null) {
    console.error(problem);
    return 1;
  }
  // Embedded mode: one process per data folder (a second one would record the same channels and
  // mark the first one's recordings as crashed). A cluster shares PostgreSQL instead.
  const owned = loaded.config.store.url === undefined ? lockDataDir(loaded.config.dataDir) : null;
  if (owned?.ok === false) {
    console.error(`onair cannot start: ${dataDirInUse(loaded.config.dataDir, owned.pid)}`);
    return 1;
  }
  const dataDirLock = owned?.lock ?? null;
  const logger = createLogger(loaded.config.log.level, await logDestination(loaded.config.log));
  for (const warning of loaded.warnings) logger.warn(warning);
  let onair;
  try {
    onair = await startOnair({ loaded, logger, role });
  } catch (error) {
    dataDirLock?.release();
    const { server, dataDir } = loaded.config;
    const sentence = explainStartupFailure(error, { ...server, dataDir });
    if (sentence === undefined) throw error;
    logger.debug({ err: error }, 'start-up failed');
    logger.flush();
    console.error(`onair cannot start: ${sentence}`);
    return 1;
  }
  if (onair.generatedAdminToken !== null) {
    // Shown once: only its hash is kept.
    process.stderr.write(
      `\nNo auth.adminToken configured: generated an admin token (shown only this once):\n\n  ${onair.generatedAdminToken}\n\nUse it as "Authorization: Bearer <token>".\n\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await onair.stop();
  dataDirLock?.release();
  return 0;
}
