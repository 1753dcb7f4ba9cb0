import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, envName } from './load.js';
import { loadOnairConfig } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'onair-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function write(yaml: string): string {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

function problems(yaml: string, env: Record<string, string> = {}): readonly string[] {
  try {
    loadOnairConfig(write(yaml), env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

const ISSUE_EXAMPLE = `
server: { host: 127.0.0.1, port: 8080 }
dataDir: ./data
poll: { interval: 60s, concurrency: 64, timeout: 10s }
policy: { reconnectGrace: 10m, notifyCooldown: 0s }
auth: { adminToken: change-me }
targets:
  - { id: ops, type: webhook, url: "http://127.0.0.1:9000/hook", secret: s3cret }
channels:
  - id: alice
    platform: owncast
    url: https://owncast.example.org
    interval: 30s
    notify: [ops]
  - { id: cam, platform: hls, url: "http://example.org/live/master.m3u8", name: Backyard cam, notify: [ops] }
`;

describe('config', () => {
  it('accepts the example of the issue, with durations in milliseconds and default events', () => {
    const { config, channels, targets } = loadOnairConfig(write(ISSUE_EXAMPLE), {});
    expect(config.poll).toMatchObject({ interval: 60_000, concurrency: 64, timeout: 10_000 });
    expect(config.policy).toMatchObject({ reconnectGrace: 600_000, notifyCooldown: 0 });
    expect(targets).toEqual([
      {
        id: 'ops',
        type: 'webhook',
        options: { url: 'http://127.0.0.1:9000/hook', secret: 's3cret', method: 'POST' },
      },
    ]);
    expect(channels[0]).toMatchObject({
      channel: { id: 'alice', intervalMs: 30_000 },
      subscriptions: [{ targetId: 'ops', events: ['live', 'title'] }],
    });
    expect(channels[1]?.channel.name).toBe('Backyard cam');
  });

  it('needs no file at all: defaults', () => {
    const { config, channels } = loadOnairConfig(undefined, {});
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.dataDir).toBe('./data');
    expect(channels).toEqual([]);
  });

  it('accepts the example config shipped with the project', () => {
    expect(() => loadOnairConfig('onair.example.yaml', {})).not.toThrow();
  });

  it('lets ONAIR_* variables override the file, and *_FILE read secrets', () => {
    const secret = join(dir, 'token');
    writeFileSync(secret, 'from-a-file-123\n');
    const { config } = loadOnairConfig(write(ISSUE_EXAMPLE), {
      ONAIR_SERVER_PORT: '9090',
      ONAIR_POLICY_RECONNECT_GRACE: '5m',
      ONAIR_ADMIN_TOKEN_FILE: secret,
    });
    expect(config.server.port).toBe(9090);
    expect(config.policy.reconnectGrace).toBe(300_000);
    expect(config.auth.adminToken).toBe('from-a-file-123');
    expect(envName(['policy', 'notifyCooldown'])).toBe('ONAIR_POLICY_NOTIFY_COOLDOWN');
  });

  it('reports every problem at once, each with its path', () => {
    const found = problems(`
server: { port: 99999 }
poll: { interval: soon, concurrency: 0 }
bogus: 1
targets:
  - { id: ops, type: webhook, url: "not a url" }
  - { id: ops, type: pigeon }
channels:
  - { id: alice, platform: owncast, url: "ftp://x", notify: [nobody] }
  - { id: "bad id!", platform: myspace, url: "http://x" }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.port: /),
        expect.stringMatching(/^poll\.interval: "soon" is not a duration/),
        expect.stringMatching(/^poll\.concurrency: /),
        expect.stringMatching(/bogus/),
        expect.stringMatching(/^channels\.1\.id: /),
      ]),
    );
    expect(found.length).toBeGreaterThanOrEqual(5);
  });

  it('reports a dozen mistakes in one pass, each with the line or variable it came from', () => {
    const yaml = [
      'server:',
      '  prot: 8080',
      '  host: 127.0.0.1',
      'poll:',
      '  interval: soon',
      '  concurency: 4',
      'policy: { reconnectGrace: 1h, unreachableAfter: none }',
      'log: { level: loud }',
      'targets:',
      '  - { id: ops, type: webhook, url: "not a url" }',
      '  - { id: ops, type: pigeon }',
      'channels:',
      '  - { id: "bad id!", platform: myspace, url: "http://x" }',
      '  - { id: tw, platform: twitch, url: "https://twitch.tv/tw", notify: [nobody] }',
      '  - { id: cam, platform: hls, url: "http://x/a.m3u8", interval: 10ms }',
      '',
    ].join('\n');
    const file = write(yaml);
    let found: readonly string[] = [];
    try {
      loadOnairConfig(file, { ONAIR_DELIVERY_MAX_ATTEMPTS: 'many' });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      found = error.problems;
    }
    const at = (line: number) => `(${file} line ${String(line)})`;
    expect(found).toEqual(
      expect.arrayContaining([
        `server.prot: unknown key "prot" (did you mean "port"?) ${at(2)}`,
        expect.stringMatching(/^poll\.interval: "soon" is not a duration/),
        `poll.concurency: unknown key "concurency" (did you mean "concurrency"?) ${at(6)}`,
        `policy.unreachableAfter: must be a number ${at(7)}`,
        expect.stringMatching(/^log\.level: must be one of "trace", .* \(.* line 8\)$/),
        `delivery.maxAttempts: must be a number (from ONAIR_DELIVERY_MAX_ATTEMPTS)`,
        expect.stringMatching(/^targets\.0\.url: .*line 10\)$/),
        `targets.1.id: duplicate target id "ops" ${at(11)}`,
        expect.stringMatching(/^targets\.1\.type: unknown target type "pigeon"/),
        expect.stringMatching(/^channels\.0\.id: .*line 13\)$/),
        expect.stringMatching(/^channels\.0\.platform: unknown platform "myspace"/),
        expect.stringMatching(
          /^channels\.1\.platform: a twitch channel needs Twitch app credentials/,
        ),
        `channels.1.notify.0: no target with id "nobody" ${at(14)}`,
        `channels.2.interval: must be at least 1s ${at(15)}`,
      ]),
    );
    // zod's own wording never reaches a person.
    expect(found.join('\n')).not.toMatch(/Invalid input|expected number, received/);
  });

  it('reports a Twitch section that is not a mapping instead of throwing', () => {
    expect(
      problems(
        'twitch: null\nchannels:\n  - { id: tw, platform: twitch, url: "https://twitch.tv/tw" }\n',
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^channels\.0\.platform: a twitch channel needs Twitch app credentials/,
        ),
      ]),
    );
  });

  it('warns about ONAIR_* variables it does not read, with the likely intended name', () => {
    const loaded = loadOnairConfig(undefined, {
      ONAIR_SERVR_PORT: '9090',
      ONAIR_POLL_INTERVAL: '30s',
      ONAIR_ADMIN_TOKN_FILE: '/nowhere',
    });
    expect(loaded.config.server.port).toBe(8080);
    expect(loaded.warnings).toEqual([
      'ONAIR_SERVR_PORT is not a setting onair reads (did you mean ONAIR_SERVER_PORT?)',
      'ONAIR_ADMIN_TOKN_FILE is not a setting onair reads (did you mean ONAIR_ADMIN_TOKEN_FILE?)',
    ]);
  });

  it('gives the whole YAML error, with its position, and still checks the environment', () => {
    const found = problems('server:\n  port: [1, 2\n', { ONAIR_DATA_DIR_FILE: join(dir, 'none') });
    expect(found).toEqual([
      expect.stringMatching(/^YAML: .* at line \d+, column \d+:\n\n {2}port: \[1, 2\n/),
      expect.stringMatching(/^ONAIR_DATA_DIR_FILE: cannot read .*ENOENT/),
    ]);
  });

  it('reports registry problems at once too: targets, platforms, URLs and references', () => {
    const found = problems(`
targets:
  - { id: ops, type: webhook, url: "not a url" }
  - { id: ops, type: pigeon }
channels:
  - { id: alice, platform: owncast, url: "ftp://x", notify: [nobody] }
  - { id: bob, platform: myspace, url: "http://x" }
  - { id: alice, platform: hls, url: "http://x/a.m3u8", interval: 10ms }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^targets\.0\.url: /),
        expect.stringMatching(/^targets\.1\.id: duplicate target id "ops"/),
        expect.stringMatching(/^targets\.1\.type: unknown target type "pigeon"/),
        expect.stringMatching(/^channels\.0\.url: must be an http\(s\) URL/),
        expect.stringMatching(/^channels\.1\.platform: unknown platform "myspace"/),
        expect.stringMatching(/^channels\.2\.id: duplicate channel id "alice"/),
        expect.stringMatching(/^channels\.2\.interval: must be at least 1s/),
      ]),
    );
  });

  it('explains unreadable files and broken YAML', () => {
    expect(() => loadOnairConfig(join(dir, 'missing.yaml'), {})).toThrow(/cannot read .*ENOENT/);
    expect(problems('server: [1, 2\n')[0]).toMatch(/^YAML: /);
    expect(problems('- just\n- a list\n')).toEqual(['the file must hold a YAML mapping']);
  });

  // Found by the config fuzzer (test/reliability): aliases resolve after parsing and threw raw.
  it('explains an unknown YAML alias and an alias bomb instead of throwing', () => {
    expect(problems('*x\n')).toEqual([expect.stringMatching(/^YAML: Unresolved alias/)]);
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'
        .split('')
        .map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]!}`).join(', ')}]`),
    ].join('\n');
    expect(problems(`${bomb}\n`)).toEqual([expect.stringMatching(/^YAML: Excessive alias count/)]);
  });
});
