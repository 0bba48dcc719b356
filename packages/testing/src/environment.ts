import { cpSync, rmSync } from 'node:fs';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix } from './databases.ts';
import { type Backend, randomSecretKey, tempDir, testBackend } from './process.ts';

export interface BackendEnv {
  backend: Backend;
  /** Environment for a Hookline process on this backend; processes given the same env share storage. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * Storage of the test's own on the current backend: a fresh PostgreSQL database and Redis
 * key prefix, or a fresh embedded data directory.
 */
export async function backendEnv(options: { redisUrl?: string; backend?: Backend } = {}): Promise<BackendEnv> {
  const backend = options.backend ?? testBackend();
  if (backend === 'embedded') {
    const dataDir = tempDir();
    // The run's migrated data directory (global setup), when there is one: a copy starts in a
    // second where a fresh one takes several.
    const template = process.env.HOOKLINE_TEST_PGLITE_TEMPLATE;
    if (template) cpSync(template, dataDir, { recursive: true });
    return { backend, env: { HOOKLINE_DATA_DIR: dataDir }, cleanup: async () => removeDir(dataDir) };
  }
  const db = await createTestDatabase();
  const dataDir = tempDir();
  return {
    backend,
    env: {
      HOOKLINE_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
      HOOKLINE_REDIS_PREFIX: testRedisPrefix(),
      HOOKLINE_SECRET_KEY: randomSecretKey(),
    },
    cleanup: async () => {
      await db.drop();
      removeDir(dataDir);
    },
  };
}

/**
 * The data directory goes with the storage: an embedded one holds the whole database (a
 * bench pass with 1,000,000 events of history leaves about 7 GB), and /tmp filled up when
 * every run left its own behind.
 */
function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
