import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/**
 * The all-in-one process's memory settings, read from `npm start` (package.json) so that
 * tests and the bench run it as users do: V8's `--name=value` flags (semi-spaces, old
 * generation growth) and glibc's malloc arenas. Read, not copied: the two drifted apart
 * once a flag changed in one place only.
 */
function allInOneSettings(): { nodeFlags: string[]; mallocArenas: string } {
  const start = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const nodeFlags = /\bnode((?: --[\w-]+=\S+)+)/.exec(start)?.[1]?.trim().split(' ');
  const mallocArenas = /MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-(\d+)\}/.exec(start)?.[1];
  if (!nodeFlags || !mallocArenas) throw new Error(`package.json's start script no longer reads as expected: ${start}`);
  return { nodeFlags, mallocArenas };
}
const ALL_IN_ONE = allInOneSettings();

/**
 * How a started process runs the server: `dist`, the compiled build as production runs it
 * (`npm run start:prod` and the image's ENTRYPOINT; the global setup builds it first,
 * incrementally), or `source`, the TypeScript through tsx as `npm start` runs it. `dist`
 * starts on half the CPU on PostgreSQL (2.6 against 5.8 s) and 70 % of it embedded; spawning
 * servers is most of the suite's CPU, so every test starts `dist` but the README quickstart's.
 */
const ENTRY = {
  dist: ['--enable-source-maps', '--conditions=hookline-dist', join(REPO_ROOT, 'services/server/dist/main.js')],
  source: ['--import', 'tsx', join(REPO_ROOT, 'services/server/src/main.ts')],
} as const;

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.unref();
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
  });
}

export interface HooklineProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait; or SIGKILL (`kill -9`) to test crashes. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the real Hookline process (the server's `main`, built or from source: see ENTRY) as
 * a user would, on a spare port, and resolves once it prints that it is listening.
 */
export async function startHooklineProcess(
  options: { env?: Record<string, string>; role?: string; port?: number; entry?: keyof typeof ENTRY } = {},
): Promise<HooklineProcess> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  // HOOKLINE_PROCESS_NODE_ARGS: extra node flags for the started processes (bench/profile.ts
  // passes --cpu-prof, which NODE_OPTIONS does not allow).
  const nodeArgs = process.env.HOOKLINE_PROCESS_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // The all-in-one process as `npm start` runs it (see ALL_IN_ONE; README, Sizing, says why
  // each setting). Flags passed in HOOKLINE_PROCESS_NODE_ARGS come after, so they win.
  const role = options.role ?? 'all';
  if (role === 'all') {
    nodeArgs.unshift(...ALL_IN_ONE.nodeFlags);
    env.MALLOC_ARENA_MAX ??= ALL_IN_ONE.mallocArenas;
  }
  const child = spawn(process.execPath, [...nodeArgs, ...ENTRY[options.entry ?? 'dist'], role], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    // Generous: a fresh embedded database's first migration alone takes half a minute when
    // the shared machine is busy; a hung start still fails well within the hook's timeout.
    const timer = setTimeout(() => rej(new Error(`hookline did not start in 120 s:\n${output}`)), 120_000);
    let listening = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // Searched until found only: the output is kept whole (tests read it), and searching it
      // all again for every chunk made a chatty process's logs cost quadratic time.
      if (!listening && output.includes('listening on')) {
        listening = true;
        clearTimeout(timer);
        res();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`hookline exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

export type Backend = 'postgres' | 'embedded';

/** Which storage the integration project runs on (vitest.config.ts sets it per project). */
export function testBackend(): Backend {
  return process.env.HOOKLINE_TEST_BACKEND === 'embedded' ? 'embedded' : 'postgres';
}

/**
 * A new directory for a test's files, inside the run's own directory when there is one (set
 * by global setup, which removes it after the run): tests that make their own, or end
 * early, left dozens in /tmp every run.
 */
export function tempDir(prefix = 'hookline-test-'): string {
  return mkdtempSync(join(process.env.HOOKLINE_TEST_TMP_ROOT ?? tmpdir(), prefix));
}

export function randomSecretKey(): string {
  return randomBytes(32).toString('base64');
}
