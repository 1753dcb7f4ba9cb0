import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Lifecycle, type Module } from './lifecycle.js';

function recorder() {
  const log: string[] = [];
  const module = (name: string, fail: 'start' | 'stop' | null = null): Module => ({
    name,
    start() {
      if (fail === 'start') return Promise.reject(new Error(`${name} cannot start`));
      log.push(`start ${name}`);
      return Promise.resolve();
    },
    stop() {
      log.push(`stop ${name}`);
      if (fail === 'stop') throw new Error(`${name} cannot stop`);
    },
  });
  return { log, module, life: new Lifecycle(pino({ level: 'silent' })) };
}

describe('Lifecycle', () => {
  it('starts in order and stops in reverse, once', async () => {
    const { log, module, life } = recorder();
    await life.startAll([module('store'), module('bus'), module('http')]);
    await Promise.all([life.stop(), life.stop()]);
    expect(log).toEqual([
      'start store',
      'start bus',
      'start http',
      'stop http',
      'stop bus',
      'stop store',
    ]);
  });

  it('rolls back what started when a later start fails, and throws that failure', async () => {
    const { log, module, life } = recorder();
    await expect(
      life.startAll([module('store'), module('bus'), module('http', 'start'), module('never')]),
    ).rejects.toThrow('http cannot start');
    expect(log).toEqual(['start store', 'start bus', 'stop bus', 'stop store']);
    await expect(life.start(module('late'))).rejects.toThrow(/stopping/);
  });

  it('stops the rest when one stop fails', async () => {
    const { log, module, life } = recorder();
    await life.startAll([module('a'), module('b', 'stop'), module('c')]);
    await life.stop();
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('takes modules with only a stop (a resource opened by the caller)', async () => {
    const { log, life } = recorder();
    await life.start({ name: 'file', stop: () => void log.push('closed file') });
    await life.stop();
    expect(log).toEqual(['closed file']);
  });
});
