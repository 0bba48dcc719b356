// `npm run admin -- <command>`: operator commands against the configured database (the same
// environment as the server). With embedded storage, stop the server first (PGlite's files
// belong to one process).
//
//   create-tenant --email <email> --name <workspace> [--password <password>]
//       creates a tenant and its first user (also while HOOKLINE_SIGNUP=closed) and prints
//       its API key; without --password a random password is generated and printed
//   create-invite
//       prints a one-use signup link (valid 7 days) for a new tenant
import { parseArgs } from 'node:util';
import { ApiError, createInvite, createTenant } from '@hookline/api';
import { ConfigError, loadConfig } from '@hookline/config';
import { randomToken } from '@hookline/core';
import { openDatabase } from '@hookline/db';

const USAGE = `usage: npm run admin -- create-tenant --email <email> --name <workspace> [--password <password>]
       npm run admin -- create-invite`;

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
if (command !== 'create-tenant' && command !== 'create-invite') fail(`unknown command "${command ?? ''}"\n${USAGE}`);
if (command === 'create-tenant' && (!options.email || !options.name)) fail(`create-tenant needs --email and --name\n${USAGE}`);

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : (err as Error).message);
}
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
try {
  if (command === 'create-tenant') {
    const generated = options.password === undefined;
    const password = options.password ?? randomToken(18);
    const created = await createTenant(database.db, { email: options.email as string, name: options.name as string, password });
    console.log(`tenant:   ${created.tenant.id} (${created.tenant.name})`);
    console.log(`user:     ${created.user.email}`);
    if (generated) console.log(`password: ${password}`);
    console.log(`api key:  ${created.api_key}`);
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
