// The Hookline process. `npm start` runs every role; `npm run start:relay|api|worker` one.
import { ConfigError, loadConfig } from '@hookline/config';
import { ROLES, type Role, startHookline } from './runtime.ts';

const arg = process.argv[2] ?? 'all';
if (arg !== 'all' && !ROLES.includes(arg as Role)) {
  console.error(`hookline: unknown role "${arg}" (use all, ${ROLES.join(', ')})`);
  process.exit(1);
}
const roles = new Set<Role>(arg === 'all' ? ROLES : [arg as Role]);

try {
  const config = loadConfig();
  const hookline = await startHookline(config, roles);
  const storage = `${hookline.database.kind === 'pglite' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL'}, ${
    hookline.queue.kind === 'memory' ? 'in-process queue' : 'BullMQ on Redis'
  }`;
  console.log(`hookline ${[...roles].join('+')} listening on ${hookline.url} (${storage})`);
  if (roles.has('api')) console.log(`hookline: open ${config.publicUrl}/ for the web UI, ${config.publicUrl}/openapi.json for the API`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // Work still in flight at the deadline is safe to drop: its delivery's lease lapses and
      // the sweeper hands it to another worker; ingest answered only what it had committed.
      setTimeout(() => {
        console.error(`hookline: shutdown took over ${config.shutdownTimeoutMs} ms; exiting with work in flight (it is retried)`);
        process.exit(0);
      }, config.shutdownTimeoutMs).unref();
      hookline.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
} catch (err) {
  // One line naming what is wrong; a stack trace helps nobody fix an environment variable.
  console.error(`hookline: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
  process.exit(1);
}
