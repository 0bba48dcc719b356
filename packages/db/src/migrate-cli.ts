// `npm run migrate`: migrates the configured database and exits (non-zero on failure).
import { loadConfig } from '@hookline/config';
import { openDatabase } from './database.ts';

try {
  const config = loadConfig();
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await handle.close();
  console.log('hookline: database is up to date');
} catch (err) {
  console.error(`hookline: ${(err as Error).message}`);
  process.exit(1);
}
