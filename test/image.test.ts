import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, muxSignature, REPO_ROOT, sendWebhook, signUp, testBackend } from '@hookline/testing';
import { afterAll, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/**
 * The image (infra/Dockerfile). Where a Docker engine answers, `docker build` would be the
 * test; this machine has the docker client but no engine, so the test runs the image's own
 * steps on the host instead, read from the Dockerfile so the two cannot drift: the build
 * stage's COPY lines (filtered as .dockerignore does) and RUN commands in order (full
 * install, `npm run build`, then a production-only install and the sources removed), then
 * the runtime stage's ENV, ENTRYPOINT and CMD, started as uid 1000 from a root-owned tree it
 * cannot write, with only the data directory (and its temp directory) writable. The built
 * server must start with plain node, be ready, serve the prebuilt web UI without building
 * it, store a webhook and exit 0 on SIGTERM.
 *
 * Runs once, in the PostgreSQL project (it does not use the backend); it needs root (to
 * drop to uid 1000) and the npm registry or cache.
 */

const UID = 1000;
const dockerEngine = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 }).status === 0;
const skipReason =
  testBackend() !== 'postgres'
    ? 'the image does not depend on the test backend: checked in the postgres project'
    : process.getuid?.() !== 0
      ? 'needs root to start the server as an unprivileged user'
      : null;
if (skipReason) console.warn(`test/image.test.ts skipped: ${skipReason}`);
else if (!dockerEngine) console.warn("test/image.test.ts: no Docker engine here; running infra/Dockerfile's steps on the host");

const work = mkdtempSync(join(tmpdir(), 'hookline-image-'));
let server: ChildProcess | undefined;
afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((res) => server!.once('exit', res));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

interface Stage {
  name: string;
  copies: { from: string[]; to: string }[];
  runs: string[];
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
}

/** The Dockerfile's stages, with what this test replays: COPY (from the context), RUN, ENV, ENTRYPOINT, CMD. */
function readDockerfile(): Stage[] {
  const text = readFileSync(join(REPO_ROOT, 'infra/Dockerfile'), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const stage = stages.at(-1);
    if (instruction === 'FROM')
      stages.push({ name: args.split(/\s+AS\s+/i)[1] ?? '', copies: [], runs: [], env: {}, entrypoint: [], cmd: [] });
    else if (!stage) continue;
    else if (instruction === 'COPY' && !args.startsWith('--')) {
      const parts = args.split(/\s+/);
      stage.copies.push({ from: parts.slice(0, -1), to: parts.at(-1) as string });
    } else if (instruction === 'RUN') stage.runs.push(args.replace(/^(--mount=\S+\s+)+/, ''));
    else if (instruction === 'ENV') for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) stage.env[k as string] = v as string;
    else if (instruction === 'ENTRYPOINT') stage.entrypoint = JSON.parse(args);
    else if (instruction === 'CMD' && args.startsWith('[')) stage.cmd = JSON.parse(args);
  }
  return stages;
}

/** One RUN step, without blocking this process (vitest's worker must keep answering meanwhile). */
async function sh(command: string, cwd: string) {
  const started = Date.now();
  await promisify(execFile)('sh', ['-ec', command], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // The npm cache first: the registry only for what it lacks.
    env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  console.log(`image step (${((Date.now() - started) / 1000).toFixed(0)} s): RUN ${command.slice(0, 60)}`);
}

/** What a COPY brings in, given .dockerignore. */
const ignored = new Set(['node_modules', 'dist', '.hookline', '.bench', 'coverage', 'screenshots']);
function copy(app: string, from: string[], to: string) {
  for (const source of from) {
    const target = to.endsWith('/') ? join(app, to, basename(source)) : join(app, to === './' ? basename(source) : to);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(REPO_ROOT, source), target, { recursive: true, filter: (src) => !ignored.has(basename(src)) });
  }
}

it.skipIf(skipReason !== null)(
  "the image's steps: built ahead, production dependencies only, started with plain node as uid 1000 from a read-only tree",
  async () => {
    const stages = readDockerfile();
    const build = stages.find((s) => s.name === 'build');
    const runtime = stages.at(-1);
    expect(build?.runs.length, 'the build stage has RUN steps').toBeGreaterThan(0);
    expect(runtime?.entrypoint[0]).toBe('node');
    const app = join(work, 'app');
    mkdirSync(app);
    for (const c of build!.copies) copy(app, c.from, c.to);
    for (const run of build!.runs) await sh(run, app);

    // Built ahead: the web UI and the server's JavaScript, and no TypeScript sources left.
    expect(existsSync(join(app, 'web/dist/index.html'))).toBe(true);
    expect(existsSync(join(app, 'services/server/dist/main.js'))).toBe(true);
    expect(existsSync(join(app, 'services/server/src'))).toBe(false);
    expect(existsSync(join(app, 'web/src'))).toBe(false);
    // Production install: no dev dependencies or build tools in the tree.
    for (const dev of ['tsx', 'vite', 'vitest', 'typescript', '@biomejs/biome', 'esbuild']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
    expect(runtime!.entrypoint.join(' ')).not.toContain('tsx');

    // The tree is root's and nobody else may write it (the container's read-only root
    // filesystem); the data directory is the only one uid 1000 owns. mkdtemp made work/ 0700.
    chmodSync(work, 0o755);
    execFileSync('chmod', ['-R', 'go-w', app]);
    const data = join(work, 'data');
    mkdirSync(data, { mode: 0o700 });
    execFileSync('chown', [`${UID}:${UID}`, data]);
    const home = join(work, 'tmp');
    mkdirSync(home, { mode: 0o700 });
    execFileSync('chown', [`${UID}:${UID}`, home]);

    const port = await freePort();
    let output = '';
    // The image's ENV and ENTRYPOINT/CMD (this node for the image's), as uid 1000 with no
    // supplementary groups; the port and data directory are this test's.
    const [, ...nodeArgs] = runtime!.entrypoint;
    expect(runtime!.env.HOST).toBe('0.0.0.0');
    server = spawn('setpriv', [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', process.execPath, ...nodeArgs, ...runtime!.cmd], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...runtime!.env,
        PORT: String(port),
        HOOKLINE_DATA_DIR: data,
        HOOKLINE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        HOME: home,
        TMPDIR: home,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((res) => server!.once('exit', (code) => res(code)));
    await new Promise<void>((res, rej) => {
      // Embedded storage starts PGlite (WebAssembly) and migrates first: over a minute on a busy machine.
      const timer = setTimeout(() => rej(new Error(`the image's command did not start in 120 s:\n${output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on')) {
          clearTimeout(timer);
          res();
        }
      };
      server!.stdout?.on('data', onData);
      server!.stderr?.on('data', onData);
      exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`the image's command exited with ${code}:\n${output}`));
      });
    });
    // Bound on every interface, as in a container (HOST=0.0.0.0), not on loopback only.
    const listening = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
    expect(listening).toContain(`0.0.0.0:${port}`);
    // setpriv execs node: the server's own process runs as uid 1000.
    expect(readFileSync(`/proc/${server.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\t${UID}\\t`, 'm'));

    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // The web UI built ahead is served; nothing is built at start.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');
    expect(output).not.toContain('building the web UI');

    // Embedded storage in the data directory: a tenant, a source and a stored webhook.
    const tenant = await signUp(url);
    const source = await createMuxSource(tenant.api);
    const body = freshMuxEvent();
    const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    const events = await tenant.api.ok('GET', '/v1/events');
    expect(events.data.map((e: { id: string }) => e.id)).toContain(answer.body.id);
    expect(readdirSync(data).length).toBeGreaterThan(0);
    for (const entry of readdirSync(data)) expect(statSync(join(data, entry)).uid, entry).toBe(UID);

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  },
  600_000,
);
