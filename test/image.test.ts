import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort, muxSignature, REPO_ROOT, sendWebhook, signUp, testBackend } from '@hookline/testing';
import { afterAll, expect, it } from 'vitest';
import { createMuxSource, freshMuxEvent, MUX_SECRET } from './helpers.ts';

/**
 * The image (infra/Dockerfile). Where a Docker engine answers, `docker build` would be the
 * test; this machine has the docker client but no engine, so the test reproduces the
 * image's steps on the host instead: the same files copied, a production install
 * (`npm ci --omit=dev` plus the locked tsx), the web UI built ahead and its sources dropped,
 * then the image's command started as uid 1000 from a root-owned tree it cannot write,
 * with HOST=0.0.0.0 and only the data directory (and /tmp) writable. It must start, be
 * ready, serve the prebuilt web UI without building it, and store a webhook.
 *
 * One difference from the image, said here so nobody is misled: the web UI is built in the
 * production tree (vite is a production dependency of web/) rather than in a separate
 * full-install stage. Runs once, in the PostgreSQL project (it does not use the backend);
 * it needs root (to drop to uid 1000) and the npm registry or cache.
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
else if (!dockerEngine) console.warn('test/image.test.ts: no Docker engine here; reproducing infra/Dockerfile on the host');

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

function sh(command: string, args: string[], cwd: string) {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** What `COPY packages packages` etc. bring in, given .dockerignore. */
const ignored = new Set(['node_modules', 'dist', '.hookline', '.bench', 'coverage', 'screenshots']);
function copySources(app: string) {
  mkdirSync(app, { recursive: true });
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, file), join(app, file));
  for (const dir of ['packages', 'services', 'web']) {
    cpSync(join(REPO_ROOT, dir), join(app, dir), { recursive: true, filter: (src) => !ignored.has(basename(src)) });
  }
  mkdirSync(join(app, 'sdk/js/src'), { recursive: true });
  cpSync(join(REPO_ROOT, 'sdk/js/src/api.generated.ts'), join(app, 'sdk/js/src/api.generated.ts'));
}

it.skipIf(skipReason !== null)(
  'the image steps: production install, web UI built ahead, started as uid 1000 from a read-only tree',
  async () => {
    const app = join(work, 'app');
    copySources(app);
    const npmEnv = ['--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'];
    sh('npm', ['ci', '--omit=dev', ...npmEnv], app);
    const tsx = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')).packages['node_modules/tsx'].version as string;
    sh('npm', ['install', '--no-save', '--omit=dev', ...npmEnv, `tsx@${tsx}`], app);
    sh('npm', ['run', 'build', '-w', 'web'], app);
    for (const built of ['src', 'scripts', 'public', 'index.html', 'vite.config.ts', 'tsconfig.json']) {
      rmSync(join(app, 'web', built), { recursive: true, force: true });
    }
    expect(existsSync(join(app, 'web/dist/index.html'))).toBe(true);
    // Production install: no dev dependencies (vitest, typescript, biome) in the tree.
    for (const dev of ['vitest', 'typescript', '@biomejs/biome']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);

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
    // The image's ENV and ENTRYPOINT/CMD, as uid 1000 with no supplementary groups.
    server = spawn(
      'setpriv',
      [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', process.execPath, '--import', 'tsx', 'services/server/src/main.ts', 'all'],
      {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          NODE_ENV: 'production',
          HOST: '0.0.0.0',
          PORT: String(port),
          HOOKLINE_DATA_DIR: data,
          HOOKLINE_PUBLIC_URL: `http://127.0.0.1:${port}`,
          HOME: home,
          TMPDIR: home,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((res) => server!.once('exit', (code) => res(code)));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`the image's command did not start in 60 s:\n${output}`)), 60_000);
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
