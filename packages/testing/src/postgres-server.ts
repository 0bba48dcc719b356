import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.ts';

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort();
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}

/** Runs a PostgreSQL program as the postgres user (the server refuses to run as root). */
function asPostgres(program: string, args: string[]) {
  const command = [join(binDir(), program), ...args];
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? 'runuser' : (command[0] as string), asRoot ? ['-u', 'postgres', '--', ...command] : command.slice(1), {
    stdio: 'pipe',
  });
}

/**
 * A PostgreSQL server of the test's own (initdb into a temp dir, a spare port), for tests
 * that stop or crash the database: the machine's shared server is never touched.
 */
export async function startPostgresServer() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hookline-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, 101, 104);
  const data = join(dir, 'data');
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = () => asPostgres('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c fsync=off`, 'start']);
  const stop = (mode: 'fast' | 'immediate' = 'fast') => asPostgres('pg_ctl', ['-D', data, '-w', '-m', mode, 'stop']);
  /** For cleanup: stops the server if it runs, whatever state a failed test left it in, and removes its files. */
  const ensureStopped = () => {
    try {
      stop('immediate');
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    ensureStopped,
  };
}
