import { describe, expect, it } from 'vitest';
import {
  channelSchema,
  toChannel,
  toTarget,
  zodIssues,
  type Registries,
} from '../../app/inputs.js';
import { notifiers } from './registry.js';
import type { NotifierDeps } from './deps.js';

const deps: NotifierDeps = {
  http: { request: () => Promise.reject(new Error('no network in this test')) },
  timeoutMs: 1_000,
  now: () => 0,
};
const registries: Registries = {
  platforms: new Map(),
  notifiers: new Map(notifiers(deps).map((n) => [n.type, n])),
};

describe('Apprise-style target URLs', () => {
  it.each([
    ['ntfy://127.0.0.1:8081/alerts', 'ntfy', { server: 'http://127.0.0.1:8081', topic: 'alerts' }],
    [
      'ntfys://tk_abc@ntfy.example.org/alerts?priority=high',
      'ntfy',
      { server: 'https://ntfy.example.org', topic: 'alerts', token: 'tk_abc', priority: 'high' },
    ],
    [
      'ntfy://me:pw@host/t',
      'ntfy',
      { server: 'http://host', topic: 't', username: 'me', password: 'pw' },
    ],
    ['ntfy://alerts', 'ntfy', { server: 'https://ntfy.sh', topic: 'alerts' }],
    ['discord://1234/tok-en', 'discord', { url: 'https://discord.com/api/webhooks/1234/tok-en' }],
    [
      'matrix://syt_tok@127.0.0.1:8008/!room:example.org',
      'matrix',
      { homeserver: 'http://127.0.0.1:8008', accessToken: 'syt_tok', roomId: '!room:example.org' },
    ],
    [
      // As in Apprise: user and password log in (they are no token).
      'matrixs://bot:hunter2@matrix.example.org/%23room:example.org',
      'matrix',
      {
        homeserver: 'https://matrix.example.org',
        user: 'bot',
        password: 'hunter2',
        roomId: '#room:example.org',
      },
    ],
    [
      'mqtt://127.0.0.1:1883',
      'mqtt',
      { url: 'mqtt://127.0.0.1:1883', baseTopic: 'onair', discovery: false },
    ],
    [
      'mqtts://u:p@broker:8883/home/onair?discovery=yes',
      'mqtt',
      {
        url: 'mqtts://broker:8883',
        username: 'u',
        password: 'p',
        baseTopic: 'home/onair',
        discovery: true,
      },
    ],
    ['mqtt://broker?qos=0', 'mqtt', { url: 'mqtt://broker', qos: 0 }],
    [
      'mailto://smtp.example.org/ops@example.org',
      'email',
      {
        host: 'smtp.example.org',
        security: 'none',
        from: 'onair@smtp.example.org',
        to: ['ops@example.org'],
      },
    ],
    [
      'mailtos://me%40example.org:pw@smtp.example.org:587?to=a@example.org,b@example.org',
      'email',
      {
        security: 'starttls',
        port: 587,
        username: 'me@example.org',
        from: 'me@example.org',
        to: ['a@example.org', 'b@example.org'],
      },
    ],
    ['mailtos://smtp.example.org/a@example.org?mode=ssl', 'email', { security: 'tls' }],
    [
      'tgram://123456:ABC-def/-100123',
      'telegram',
      { botToken: '123456:ABC-def', chatId: '-100123', apiUrl: 'https://api.telegram.org' },
    ],
    ['json://127.0.0.1:9000/hook', 'webhook', { url: 'http://127.0.0.1:9000/hook' }],
    ['jsons://hooks.example.org/x', 'webhook', { url: 'https://hooks.example.org/x' }],
  ])('%s is a %s target', (url, type, options) => {
    const result = toTarget({ id: 't', url }, registries);
    expect(result.ok ? result.target : result.issues).toMatchObject({ id: 't', type, options });
  });

  it.each([
    [{ id: 't', url: 'gopher://x/y' }, 'url', /unknown scheme gopher/],
    [{ id: 't', type: 'discord', url: 'ntfy://h/t' }, 'type', /does not match/],
    [{ id: 't', url: 'matrix://tok@h/!a:h/!b:h' }, 'url', /one room/],
    [{ id: 't', url: 'tgram://123456:ABC/' }, 'url', /tgram:/],
    [{ id: 't', url: 'ntfy://h/a/b' }, 'url', /one topic/],
    [{ id: 't', url: 'mqtt://h?qos=3' }, 'qos', /./],
    [{ id: 't' }, 'type', /is required/],
    [{ id: 't', url: 'ntfy://h/a', rateLimit: 'fast' }, 'rateLimit', /per duration/],
  ])('rejects %j', (input, path, message) => {
    const result = toTarget(input, registries);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues).toContainEqual({
        path,
        message: expect.stringMatching(message) as unknown,
      });
  });

  it('keeps secrets of a URL out of its error messages', () => {
    const result = toTarget({ id: 't', url: 'matrix://supersecret@h/#alias' }, registries);
    expect(JSON.stringify(result)).not.toContain('supersecret');
  });

  it('lets explicit options win over the URL and keeps a rate limit', () => {
    const result = toTarget(
      { id: 't', url: 'ntfy://h/a', topic: 'b', rateLimit: '5/2s' },
      registries,
    );
    expect(result.ok && result.target.options).toMatchObject({ topic: 'b', rateLimit: '5/2s' });
  });
});

describe('subscription options', () => {
  const channel = { id: 'c', platform: 'owncast', url: 'https://o.example.org', notify: [] };
  const withPlatform: Registries = {
    ...registries,
    platforms: new Map([['owncast', { validateUrl: () => null } as never]]),
  };

  it('keeps onOffline and a checked template with the subscription', () => {
    const result = toChannel(
      {
        ...channel,
        notify: [
          {
            target: 'x',
            events: ['live'],
            onOffline: 'edit',
            template: { live: '{{channel.name}} is live: {{title}}' },
          },
        ],
      },
      withPlatform,
    );
    expect(result.ok && result.subscriptions[0]?.options).toEqual({
      onOffline: 'edit',
      template: { live: '{{channel.name}} is live: {{title}}' },
    });
  });

  it('rejects an unknown template variable at load, naming the field', () => {
    const parsed = channelSchema.safeParse({
      ...channel,
      notify: [{ target: 'x', template: { live: '{{channel.nmae}} is live' } }],
    });
    expect(parsed.success).toBe(false);
    if (!parsed.success)
      expect(zodIssues(parsed.error)).toContainEqual({
        path: 'notify.0.template.live',
        message: expect.stringMatching(/unknown variable "channel.nmae"/) as unknown,
      });
  });
});
