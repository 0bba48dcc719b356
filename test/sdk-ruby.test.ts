import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BackendEnv,
  backendEnv,
  eventually,
  freePort,
  type HooklineProcess,
  muxSignature,
  REPO_ROOT,
  sendWebhook,
  signUp,
  startHooklineProcess,
  tempDir,
} from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxSource, MUX_SECRET, muxFixture } from './helpers.ts';

const SDK = join(REPO_ROOT, 'sdk/ruby');
const hasRuby = spawnSync('ruby', ['-e', 'print RUBY_VERSION']).status === 0;
// The Ruby side does not depend on the storage backend, so one project is enough.
const embedded = process.env.HOOKLINE_TEST_BACKEND === 'embedded';
if (!hasRuby) console.warn('test/sdk-ruby.test.ts skipped: `ruby` is not installed (apt-get install ruby ruby-rack ruby-webrick)');

interface Recorded {
  type: string;
  id: string;
  provider: string;
  handler_fired: boolean;
}

/** The gem, built and installed into a GEM_HOME of its own, as a user would install it. */
function installGem(dir: string): string {
  const gemHome = join(dir, 'gems');
  const gem = join(dir, 'hookline.gem');
  execFileSync('gem', ['build', 'hookline.gemspec', '--output', gem], { cwd: SDK, stdio: 'pipe' });
  execFileSync('gem', ['install', '--local', '--ignore-dependencies', '--no-document', '--install-dir', gemHome, gem], { stdio: 'pipe' });
  return gemHome;
}

/** sdk/ruby/test/support/server.rb under WEBrick; resolves once it is listening. */
async function startRubyServer(options: { dir: string; gemHome: string; port: number; secret: string; eventsFile: string }) {
  // GEM_HOME alone: the gem comes from there and Debian's rack and webrick from the
  // default gem path; no -I, RUBYLIB or RUBYOPT may bring in sdk/ruby/lib instead.
  const { GEM_PATH, RUBYLIB, RUBYOPT, BUNDLE_GEMFILE, ...inherited } = process.env;
  const child = spawn('ruby', [join(SDK, 'test/support/server.rb'), String(options.port)], {
    cwd: options.dir,
    env: { ...inherited, GEM_HOME: options.gemHome, HOOKLINE_SECRET: options.secret, HOOKLINE_EVENTS_FILE: options.eventsFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ruby server did not start in 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ruby server exited with ${code}:\n${output}`));
    });
  });
  return { child, output: () => output };
}

function recorded(file: string): Recorded[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Recorded);
}

describe.skipIf(!hasRuby || !embedded)('the Ruby SDK receiving a real delivery', () => {
  let dir: string;
  let storage: BackendEnv;
  let hookline: HooklineProcess;
  let ruby: { child: ChildProcess; output(): string } | undefined;

  beforeAll(async () => {
    dir = tempDir('hookline-ruby-');
    storage = await backendEnv({ backend: 'embedded' });
    hookline = await startHooklineProcess({ env: storage.env });
  });
  afterAll(async () => {
    if (ruby && ruby.child.exitCode === null) {
      const exited = new Promise((r) => ruby!.child.once('exit', r));
      ruby.child.kill('SIGTERM');
      await exited;
    }
    await hookline?.stop();
    await storage?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the signed delivery with Hookline::Rack from the installed gem and runs the per-type handler', async () => {
    const gemHome = installGem(dir);
    const { api } = await signUp(hookline.url);
    const source = await createMuxSource(api);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/webhooks`;
    const destination = await api.ok('POST', '/v1/destinations', { source_id: source.id, url });
    // A second destination at the same URL: its deliveries are signed with a secret the
    // Ruby app does not hold, so they must be refused.
    const stranger = await api.ok('POST', '/v1/destinations', { source_id: source.id, url });
    const eventsFile = join(dir, 'events.jsonl');
    ruby = await startRubyServer({ dir, gemHome, port, secret: destination.signing_secret, eventsFile });

    const body = muxFixture('video.asset.ready');
    const answer = await sendWebhook(source.ingest_url, body, { 'mux-signature': muxSignature(body, MUX_SECRET) });
    expect(answer.status).toBe(200);
    const eventId: string = answer.body.id;

    const events = await eventually(async () => {
      const found = recorded(eventsFile).filter((e) => e.type === 'video.asset.ready');
      return found.length > 0 ? found : undefined;
    });
    expect(events).toEqual([{ type: 'video.asset.ready', id: eventId, provider: 'mux', handler_fired: true }]);

    // The relay saw the middleware's answers: 204 once the handler returned, 400 with the
    // reason for the delivery it could not verify.
    const deliveries = await eventually(async () => {
      const detail = await api.ok('GET', `/v1/events/${eventId}`);
      const done = detail.deliveries.every((d: any) => d.attempts.length > 0);
      return done ? detail.deliveries : undefined;
    });
    const byDestination = (id: string) => deliveries.find((d: any) => d.destination_id === id);
    expect(byDestination(destination.id)).toMatchObject({ status: 'succeeded', attempts: [expect.objectContaining({ status_code: 204 })] });
    const refused = byDestination(stranger.id).attempts[0];
    expect(refused.status_code).toBe(400);
    expect(refused.response_excerpt).toContain('invalid_signature');
    expect(recorded(eventsFile)).toHaveLength(1);
  });
});
