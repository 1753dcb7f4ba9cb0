import { openSync, closeSync, mkdtempSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { explainStartupFailure } from '../../src/cli/startup-failure.js';
import { removeDir } from '../e2e/harness.js';

const require = createRequire(import.meta.url);

/**
 * Issue 22: a partly damaged SQLite file passed `/healthz` while every commit failed. It is now
 * refused at start (`PRAGMA quick_check`) with a sentence, not a stack trace.
 */
describe('a damaged SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-damaged-'));
  afterAll(() => {
    removeDir(dir);
  });

  /** A store with enough rows to span many pages, closed (WAL checkpointed into the file). */
  const storeWithRows = async (name: string): Promise<string> => {
    const file = join(dir, name, 'onair.db');
    const store = await openSqliteStore(file);
    await store.close();
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(file);
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return file;
  };

  it('opens an intact file (the twin)', async () => {
    const store = await openSqliteStore(await storeWithRows('intact'));
    await store.close();
  });

  it('refuses a file with damaged pages, in a sentence', async () => {
    const file = await storeWithRows('damaged');
    const pages = Math.floor(statSync(file).size / 4_096);
    const fd = openSync(file, 'r+');
    // Overwrite the middle pages' headers and cells: the file still opens, reads go wrong.
    for (let page = Math.floor(pages / 3); page < Math.floor((2 * pages) / 3); page++)
      writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, page * 4_096 + 8);
    closeSync(fd);
    const failure = await openSqliteStore(file).then(
      async (store) => {
        await store.close();
        return null;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as NodeJS.ErrnoException).code).toMatch(/^SQLITE_(CORRUPT|NOTADB)/);
    const sentence = explainStartupFailure(failure, {
      host: '127.0.0.1',
      port: 8080,
      dataDir: join(dir, 'damaged'),
    });
    expect(sentence).toMatch(/is damaged or not an SQLite file/);
    expect(sentence).not.toMatch(/\n\s+at /);
  });
});
