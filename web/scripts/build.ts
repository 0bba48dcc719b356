/**
 * `npm run build -w web`: writes web/dist, and is what the server runs when web/dist is
 * missing or older than its sources (services/api/src/web-ui.ts).
 *
 * Safe to run from several processes at once (parallel test processes each start a
 * server): one builds under a lock, the others wait for it. The bundle is built into a
 * scratch directory and swapped in, so a server never serves a half-written dist.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeProviderCatalogue } from './providers.ts';

export const WEB_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(WEB_DIR, 'dist');
const SCRATCH = join(WEB_DIR, 'node_modules', '.hookline-build');
const LOCK = join(SCRATCH, 'build.lock');
const STALE_LOCK_MS = 10 * 60_000;

/** Everything the bundle is made from, relative to web/; the server compares their times with dist's stamp. */
export const BUILD_INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json', 'scripts', 'public', '../packages/providers/src'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock, or returns false while a live process holds it. A dead holder's lock is taken over. */
function tryLock(): boolean {
  mkdirSync(SCRATCH, { recursive: true });
  try {
    const fd = openSync(LOCK, 'wx');
    writeFileSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder: { pid?: number; at?: number } = {};
  try {
    holder = JSON.parse(readFileSync(LOCK, 'utf8'));
  } catch {
    // Half-written by a holder starting right now, unless it has been like that for a while.
    if (Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000) return false;
  }
  if (holder.pid && alive(holder.pid) && Date.now() - (holder.at ?? 0) < STALE_LOCK_MS) return false;
  rmSync(LOCK, { force: true });
  return tryLock();
}

/** The start time in dist's stamp, or "none": how a caller tells whether dist changed since it looked. */
export function distStamp(): string {
  try {
    return String(JSON.parse(readFileSync(join(DIST, '.build.json'), 'utf8')).startedAt ?? 'none');
  } catch {
    return 'none';
  }
}

/**
 * Builds dist. With `ifStamp` (what the caller saw in dist's stamp when it decided dist was
 * stale), a build someone else finished meanwhile counts, and this one is skipped.
 */
export async function buildWeb(options: { quiet?: boolean; ifStamp?: string } = {}): Promise<'built' | 'built-by-another'> {
  const deadline = Date.now() + STALE_LOCK_MS;
  while (!tryLock()) {
    if (Date.now() > deadline) throw new Error(`another build has held ${LOCK} for too long; delete it if no build is running`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const out = join(SCRATCH, `dist-${process.pid}`);
  try {
    if (options.ifStamp !== undefined && distStamp() !== options.ifStamp) return 'built-by-another';
    const startedAt = Date.now();
    writeProviderCatalogue();
    const { build } = await import('vite');
    await build({
      root: WEB_DIR,
      configFile: join(WEB_DIR, 'vite.config.ts'),
      logLevel: options.quiet ? 'error' : 'info',
      build: { outDir: out, emptyOutDir: true },
    });
    // The stamp says when the sources were read; a later change to any input makes dist stale.
    writeFileSync(join(out, '.build.json'), `${JSON.stringify({ startedAt, inputs: BUILD_INPUTS })}\n`);
    const old = join(SCRATCH, `old-${process.pid}`);
    rmSync(old, { recursive: true, force: true });
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(out, DIST);
    rmSync(old, { recursive: true, force: true });
    return 'built';
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(LOCK, { force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quiet = process.argv.includes('--quiet');
  const at = process.argv.indexOf('--if-stamp');
  const ifStamp = at > 0 ? process.argv[at + 1] : undefined;
  buildWeb({ quiet, ifStamp }).then(
    (result) => {
      if (!quiet) console.log(result === 'built' ? `web UI built into ${DIST}` : `web UI built by another process into ${DIST}`);
    },
    (err) => {
      console.error(`web UI build failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
