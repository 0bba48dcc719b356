// `npm run migrate`: migrates the configured database and exits (non-zero on failure).
import { loadConfig, secretBoxFor } from '@hookline/config';
import { openDatabase } from './database.ts';
import { sealPlaintextIngestKeys } from './seal-ingest-keys.ts';

try {
  const config = loadConfig();
  const handle = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteSharedBuffers: config.pgliteSharedBuffers,
  });
  // The part of the migrations that needs HOOKLINE_SECRET_KEY, as the server runs at start.
  await sealPlaintextIngestKeys(handle.db, secretBoxFor(config));
  await handle.close();
  console.log('hookline: database is up to date');
} catch (err) {
  console.error(`hookline: ${(err as Error).message}`);
  process.exit(1);
}
