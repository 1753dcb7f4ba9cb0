import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { authStoreContract } from './auth-store.contract.js';

authStoreContract({
  name: 'SQLite (file in a temp dir)',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'onair-auth-store-'));
    const file = join(dir, 'onair.db');
    return {
      store: await openSqliteStore(file),
      reopen: () => openSqliteStore(file),
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
