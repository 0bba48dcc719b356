import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET } from './helpers.ts';

const run = promisify(execFile);
const SDK = resolve(REPO_ROOT, 'sdk/js');
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8'));

/**
 * The package as users get it: `npm pack` (which builds it through prepack), installed from
 * the tarball into a throwaway project, then imported from ESM, required from CommonJS,
 * type-checked as a TypeScript consumer, and run as the `hookline` bin.
 */
describe('the packed @hookline/sdk', () => {
  let work: string;
  let project: string;
  let files: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hookline-sdk-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: SDK, maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path);
    project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', join(work, packed!.filename), '--offline', '--no-audit', '--no-fund'], { cwd: project });
    for (const [name, path] of Object.entries(CONSUMER_FILES)) writeFileSync(join(project, name), path);
  }, 120_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the built ESM and CommonJS files with declarations, and nothing else', () => {
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/esm/bin.js']),
    );
    expect(files).toEqual(expect.arrayContaining(['dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']));
    for (const entry of ['node', 'express', 'fastify', 'fetch', 'listen']) {
      expect(files).toEqual(
        expect.arrayContaining([`dist/esm/${entry}.js`, `dist/cjs/${entry}.js`, `dist/esm/${entry}.d.ts`, `dist/cjs/${entry}.d.ts`]),
      );
    }
    expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md')).toEqual([]);
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.peerDependencies).toBeUndefined();
  });

  it('runs from an ESM script, every entry, sharing WebhookVerificationError with the CommonJS copy', async () => {
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({
      verified: 'evt_pack1',
      handled: ['evt_pack1'],
      status: 200,
      crossCopy: 'bad_signature',
      entries: 4,
      listen: true,
    });
  });

  it('runs from a CommonJS script, resolving the CommonJS build', async () => {
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({
      verified: 'evt_pack1',
      reason: 'timestamp_too_old',
      resolved: 'dist/cjs/index.js',
      entries: 4,
      listen: 'function',
      version: pkg.version,
    });
  });

  it('type-checks a consumer that narrows on event.type: ESM and CommonJS, main entry without @types/node', async () => {
    await expect(run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project })).resolves.toBeTruthy();
  });

  it('type-checks the adapters against the real Express, Fastify and Node types', async () => {
    // Linked from the repo rather than installed, so the test needs no network.
    for (const dep of ['express', 'fastify', '@types/express', '@types/node']) {
      mkdirSync(join(project, 'node_modules', dep, '..'), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(project, 'node_modules', dep), 'dir');
    }
    await expect(run(process.execPath, [TSC, '-p', 'tsconfig.adapters.json'], { cwd: project })).resolves.toBeTruthy();
  });

  it('installs the hookline bin: verify works, listen keeps a local secret and checks its arguments', async () => {
    const bin = join(project, 'node_modules/.bin/hookline');
    const body = JSON.stringify({ id: 'evt_bin', type: 'video.asset.ready', provider: 'mux' });
    writeFileSync(join(project, 'body.json'), body);
    const { stdout: headersJson } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { sign } from '@hookline/sdk'; console.log(JSON.stringify(sign(${JSON.stringify(body)}, '${SECRET}')))`,
      ],
      { cwd: project },
    );
    writeFileSync(join(project, 'headers.json'), headersJson);
    const verified = await run(bin, ['verify', '--body', 'body.json', '--headers', 'headers.json', '--secret', SECRET], { cwd: project });
    expect(JSON.parse(verified.stdout)).toEqual(JSON.parse(body));
    expect(verified.stderr).toContain('✔ verified evt_bin');
    const listen = await run(bin, ['listen', '3000'], { cwd: project }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(listen.code).toBe(2);
    expect(listen.stderr).toContain('listen needs --source');
    const secret = await run(bin, ['listen', '--source', 'src_pack', '--print-secret', '--state-file', 'state/listen.json'], {
      cwd: project,
    });
    expect(secret.stdout).toMatch(/^whsec_\S+\n$/);
    expect(JSON.parse(readFileSync(join(project, 'state/listen.json'), 'utf8')).sources.src_pack.secret).toBe(secret.stdout.trim());
  });
});

const EVENT = JSON.stringify({
  id: 'evt_pack1',
  type: 'video.asset.ready',
  provider: 'mux',
  source_id: 'src_1',
  occurred_at: null,
  received_at: '2026-11-23T10:00:00.000Z',
  object: { type: 'asset', id: 'a1' },
  environment: null,
  provider_event: { id: 'p1', type: 'video.asset.ready' },
  data: { id: 'a1', playback_ids: [{ id: 'pb1', policy: 'public' }] },
});

const CONSUMER_FILES: Record<string, string> = {
  'esm.mjs': `
import { createRequire } from 'node:module';
import { createHandler, sign, verify, WebhookVerificationError } from '@hookline/sdk';
import * as node from '@hookline/sdk/node';
import * as expressEntry from '@hookline/sdk/express';
import * as fastify from '@hookline/sdk/fastify';
import * as fetchEntry from '@hookline/sdk/fetch';
import * as listenEntry from '@hookline/sdk/listen';
import { listen } from '@hookline/sdk';

const secret = '${SECRET}';
const body = ${JSON.stringify(EVENT)};
const headers = sign(body, secret);
const verified = verify(body, headers, secret).id;

const handled = [];
const handler = fetchEntry.createHandler({ secret, on: { 'video.asset.ready': async (event) => void handled.push(event.id) } });
const response = await handler(new Request('http://localhost/hook', { method: 'POST', headers, body }));

const cjs = createRequire(import.meta.url)('@hookline/sdk');
if (cjs.verify === verify) throw new Error('expected the CommonJS copy');
let crossCopy = 'none';
try {
  cjs.verify(body, { ...headers, 'webhook-signature': 'v1,AAAA' }, secret);
} catch (err) {
  if (err instanceof WebhookVerificationError) crossCopy = err.reason;
}
createHandler({ secret, onEvent() {} });
const entries = [node, expressEntry, fastify, fetchEntry].filter((m) => typeof m.createHandler === 'function').length;
console.log(JSON.stringify({ verified, handled, status: response.status, crossCopy, entries, listen: typeof listen === 'function' && listen === listenEntry.listen }));
`,
  'cjs.cjs': `
const { sign, verify, WebhookVerificationError } = require('@hookline/sdk');
const entries = ['node', 'express', 'fastify', 'fetch'].filter((e) => typeof require('@hookline/sdk/' + e).createHandler === 'function').length;
const secret = '${SECRET}';
const body = ${JSON.stringify(EVENT)};
const signedAt = new Date('2026-01-01T00:00:00Z');
const headers = sign(body, secret, { timestamp: signedAt });
const verified = verify(body, headers, secret, { now: () => signedAt }).id;
let reason = 'none';
try {
  verify(body, headers, secret);
} catch (err) {
  if (err instanceof WebhookVerificationError) reason = err.reason;
}
const resolved = require.resolve('@hookline/sdk').split('@hookline/sdk/')[1];
const listen = typeof require('@hookline/sdk/listen').listen;
console.log(JSON.stringify({ verified, reason, resolved, entries, listen, version: require('@hookline/sdk/package.json').version }));
`,
  'consumer.ts': `
import { createHandler, type EventOfType, type ForwardReport, type HooklineEvent, listen, ListenError, sign, verify, WebhookVerificationError, type WebhookVerificationReason } from '@hookline/sdk';

const secret = 'whsec_c2VjcmV0';
const body = '{}';
const event: HooklineEvent = verify(body, sign(body, secret), secret);

// @ts-expect-error: before narrowing, type is any of the known types
const early: 'video.asset.ready' = event.type;

switch (event.type) {
  case 'video.asset.ready': {
    const narrowed: EventOfType<'video.asset.ready'> = event;
    if (event.provider === 'mux') {
      const ids: (string | undefined)[] = (event.data.playback_ids ?? []).map((p) => p.id);
      void ids;
    }
    void narrowed;
    break;
  }
  case 'video.asset.errored': {
    // @ts-expect-error: an errored event is not a ready one
    const wrong: EventOfType<'video.asset.ready'> = event;
    void wrong;
    break;
  }
}

try {
  verify(body, new Map([['webhook-id', 'x']]) as unknown as { get(name: string): string | null }, secret);
} catch (err) {
  if (err instanceof WebhookVerificationError) {
    const reason: WebhookVerificationReason = err.reason;
    void reason;
  }
}

createHandler({
  secret,
  on: {
    'video.asset.ready': (e, delivery) => {
      const type: 'video.asset.ready' = e.type;
      const attempt: number | null = delivery.attempt;
      void type;
      void attempt;
    },
  },
});
void early;

// listen's declarations need no DOM or Node types: a structural signal will do.
const signal = { aborted: false, addEventListener() {}, removeEventListener() {} };
const reports: ForwardReport[] = [];
void listen({
  apiKey: 'k',
  source: 'src_1',
  forwardTo: 'http://localhost:3000/webhooks',
  signal,
  onForward: (report) => {
    reports.push(report);
    const status: number | null = report.status;
    void status;
  },
}).then((summary) => summary.forwarded, (err) => err instanceof ListenError && err.code === 'unauthorized');
`,
  'consumer-cjs.cts': `
import { verify, sign } from '@hookline/sdk';
const secret = 'whsec_c2VjcmV0';
const event = verify('{}', sign('{}', secret), secret);
if (event.type === 'video.asset.ready' && event.provider === 'mux') {
  const id: string | undefined = event.data.playback_ids?.[0]?.id;
  void id;
}
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022'],
      types: [],
      noEmit: true,
      skipLibCheck: false,
    },
    files: ['consumer.ts', 'consumer-cjs.cts'],
  }),
  'adapters.ts': `
import { createServer } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { createHandler as expressHandler, keepRawBody } from '@hookline/sdk/express';
import { createHandler as fastifyPlugin } from '@hookline/sdk/fastify';
import { createHandler as fetchHandler } from '@hookline/sdk/fetch';
import { createHandler as nodeHandler } from '@hookline/sdk/node';
import { listen } from '@hookline/sdk/listen';

const secret = 'whsec_c2VjcmV0';
const on = { 'video.asset.ready': async (event: { id: string }) => void event.id };

createServer(nodeHandler({ secret, on }));

const app = express();
app.post('/webhooks/hookline', expressHandler({ secret, on }));
app.use(express.json({ verify: keepRawBody }));

const fastify = Fastify();
fastify.register(fastifyPlugin({ secret, on }), { prefix: '/webhooks/hookline' });

export const POST: (request: Request) => Promise<Response> = fetchHandler({ secret, on });

// A real AbortSignal fits listen's structural one.
void listen({ apiKey: 'k', source: 'src_1', forwardTo: 'http://localhost:3000/', signal: AbortSignal.timeout(10), onStatus: (s) => void s.type });
`,
  'tsconfig.adapters.json': JSON.stringify({
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022'],
      types: ['node'],
      noEmit: true,
      skipLibCheck: true,
    },
    files: ['adapters.ts'],
  }),
};
