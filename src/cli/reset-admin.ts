import { resetAdminToken } from '../app/auth.js';
import { openStore } from '../adapters/store/open-store.js';
import type { Config } from '../config/schema.js';

/**
 * `onair auth reset-admin`: a new generated admin token replaces the old one in the store. A token
 * set in the config (`auth.adminToken`, `ONAIR_ADMIN_TOKEN`) wins over the store, so it is changed
 * there instead.
 */
export async function resetAdmin(config: Config): Promise<number> {
  if (config.auth.adminToken !== undefined) {
    console.error(
      'the admin token is set by auth.adminToken (or ONAIR_ADMIN_TOKEN): change it there and restart onair',
    );
    return 1;
  }
  const store = await openStore(config);
  try {
    const { token } = await resetAdminToken(store);
    process.stdout.write(
      `New admin token (shown only this once; the old one is revoked):\n\n  ${token}\n\nRestart onair if it is running: it reads the admin token when it starts.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
