// `npm run admin -- <command>`: operator commands against the configured database (the same
// environment as the server). With embedded storage, stop the server first (PGlite's files
// belong to one process).
//
//   create-tenant --email <email> --name <workspace> [--password <password>]
//       creates a tenant and its first user (also while HOOKLINE_SIGNUP=closed) and prints
//       its API key; without --password a random password is generated and printed
//   create-invite
//       prints a one-use signup link (valid 7 days) for a new tenant
//   reseal
//       the last step of a HOOKLINE_SECRET_KEY rotation: re-seals every sealed secret that
//       the current key did not seal (opened with HOOKLINE_SECRET_KEY_PREVIOUS), so the
//       previous key can be dropped; prints what it did per column; safe to run again
import { parseArgs } from 'node:util';
import { ApiError, createInvite, createTenant } from '@hookline/api';
import { ConfigError, loadConfig, secretBoxFor } from '@hookline/config';
import { randomToken } from '@hookline/core';
import { openDatabase, resealSecrets, sealPlaintextIngestKeys } from '@hookline/db';

const USAGE = `usage: npm run admin -- create-tenant --email <email> --name <workspace> [--password <password>]
       npm run admin -- create-invite
       npm run admin -- reseal`;

function fail(message: string): never {
  console.error(`hookline admin: ${message}`);
  process.exit(1);
}

const [command, ...rest] = process.argv.slice(2);
let options: { email?: string | undefined; name?: string | undefined; password?: string | undefined };
try {
  options = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
    strict: true,
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (command !== 'create-tenant' && command !== 'create-invite' && command !== 'reseal')
  fail(`unknown command "${command ?? ''}"\n${USAGE}`);
if (command === 'create-tenant' && (!options.email || !options.name)) fail(`create-tenant needs --email and --name\n${USAGE}`);

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : (err as Error).message);
}
const database = await openDatabase({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  pgliteSharedBuffers: config.pgliteSharedBuffers,
  poolSize: 2,
});
try {
  if (command === 'create-tenant') {
    const generated = options.password === undefined;
    const password = options.password ?? randomToken(18);
    const created = await createTenant(database.db, { email: options.email as string, name: options.name as string, password });
    console.log(`tenant:   ${created.tenant.id} (${created.tenant.name})`);
    console.log(`user:     ${created.user.email}`);
    if (generated) console.log(`password: ${password}`);
    console.log(`api key:  ${created.api_key}`);
  } else if (command === 'reseal') {
    const secrets = secretBoxFor(config);
    // The part of the migrations that needs the key, in case the server has not run since.
    await sealPlaintextIngestKeys(database.db, secrets);
    for (const c of await resealSecrets(database.db, secrets)) {
      console.log(`${`${c.table}.${c.column}:`.padEnd(40)} ${c.resealed} re-sealed, ${c.current} already under the current key`);
    }
    console.log('every sealed secret is under HOOKLINE_SECRET_KEY: HOOKLINE_SECRET_KEY_PREVIOUS can be removed');
  } else {
    const invite = await createInvite(database.db, { tenantId: null, publicUrl: config.publicUrl });
    console.log(`invite:   ${invite.url}`);
    console.log(`token:    ${invite.token}`);
    console.log(`expires:  ${invite.expires_at}`);
  }
} catch (err) {
  await database.close();
  fail(err instanceof ApiError ? `${err.code}: ${err.message}` : (err as Error).message);
}
await database.close();
