import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BackendEnv, backendEnv, eventually, type HooklineProcess, REPO_ROOT, startHooklineProcess } from '@hookline/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);

/** The shell blocks the README marks with `<!-- quickstart -->`, in order. */
function quickstartBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^<!-- quickstart -->\n```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

let storage: BackendEnv;
let hookline: HooklineProcess;
beforeAll(async () => {
  storage = await backendEnv();
  // From source, as the README's `npm start` runs it (every other test starts the build).
  hookline = await startHooklineProcess({ env: storage.env, entry: 'source' });
});
afterAll(async () => {
  await hookline?.stop();
  await storage?.cleanup();
});

/**
 * A new user's first minutes, as the README tells them: its quickstart blocks run verbatim
 * in one shell against a started server, only HOOKLINE_API_URL (which the README reads)
 * pointing at this server's port. Every command must succeed (`set -euo pipefail`; the
 * README's curl calls use -f, so an HTTP error fails too), and the sample the CLI sent from
 * this clone must be the event the server now holds.
 */
it('runs the README quickstart verbatim: signup, source, destination, a sample through the CLI from a clone', async () => {
  const blocks = quickstartBlocks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  const script = ['set -euo pipefail', ...blocks].join('\n');
  const { stdout } = await run('bash', ['-c', script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOOKLINE_API_URL: hookline.url },
    timeout: 60_000,
  });
  expect(stdout).toContain(`${hookline.url}/in/`);
  expect(stdout).toMatch(/✔ sent video\.asset\.ready through src_\w+: event evt_\w+/);
  const eventId = /: event (evt_\w+)/.exec(stdout)?.[1];

  // The README's account, logged in as the web UI would: the event is there, from Mux.
  const login = await fetch(`${hookline.url}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'me@example.com', password: 'a long password' }),
  });
  expect(login.status).toBe(201);
  const cookie = (login.headers.get('set-cookie') as string).split(';')[0] as string;
  const events = await eventually(async () => {
    const list = await (await fetch(`${hookline.url}/v1/events`, { headers: { cookie } })).json();
    return list.data.length > 0 && list.data;
  });
  expect(events.map((e: { id: string; type: string }) => [e.id, e.type])).toEqual([[eventId, 'video.asset.ready']]);
});
