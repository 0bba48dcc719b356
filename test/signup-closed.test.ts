import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiClient, type BackendEnv, backendEnv, freePort, type HooklineProcess, REPO_ROOT, startHooklineProcess } from '@hookline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ADMIN = join(REPO_ROOT, 'services/server/src/admin.ts');
const PASSWORD = 'correct horse battery';

/** `npm run admin -- …` as an operator runs it: the server's environment, its output on stdout. */
async function admin(env: Record<string, string>, ...args: string[]): Promise<Record<string, string>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', ADMIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', ...env },
  });
  // "label:   value" lines.
  const fields: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^([a-z ]+):\s+(\S.*)$/.exec(line);
    if (match?.[1] && match[2]) fields[match[1]] = match[2];
  }
  return fields;
}

let counter = 0;
const signupBody = (extra: Record<string, unknown> = {}) => ({
  email: `closed${Date.now()}${++counter}@example.test`,
  password: PASSWORD,
  name: `Closed ${counter}`,
  ...extra,
});

// HOOKLINE_SIGNUP=closed (CONTRACT §7): signup answers 403 signup_closed, and tenants come from
// the admin command or an existing tenant's invite (one use).
describe('HOOKLINE_SIGNUP=closed', () => {
  let backend: BackendEnv;
  let hookline: HooklineProcess;
  let env: Record<string, string>;
  let adminTenant: Record<string, string>;
  let adminInvite: Record<string, string>;
  let adminEmail: string;

  beforeAll(async () => {
    backend = await backendEnv();
    // The admin command runs with the server's environment, its port included (invite links name it).
    const port = await freePort();
    env = { ...backend.env, HOOKLINE_SIGNUP: 'closed', PORT: String(port) };
    // Before the server starts: embedded storage belongs to one process at a time.
    adminEmail = `admin${Date.now()}@example.test`;
    adminTenant = await admin(env, 'create-tenant', '--email', adminEmail, '--name', 'Operator made');
    adminInvite = await admin(env, 'create-invite');
    hookline = await startHooklineProcess({ env, port });
  });

  afterAll(async () => {
    await hookline?.stop();
    await backend?.cleanup();
  });

  it('answers 403 signup_closed to a signup without an invite', async () => {
    const res = await new ApiClient(hookline.url).call('POST', '/v1/signup', signupBody());
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('signup_closed');
  });

  it('answers 403 invite_invalid to an unknown invite', async () => {
    const res = await new ApiClient(hookline.url).call('POST', '/v1/signup', signupBody({ invite: 'inv_not-a-real-invite' }));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('invite_invalid');
  });

  it('the admin command creates a tenant whose API key and password work', async () => {
    expect(adminTenant['api key']).toMatch(/^hk_/);
    expect(adminTenant.tenant).toMatch(/^ten_\S+ \(Operator made\)$/);
    const api = new ApiClient(hookline.url, adminTenant['api key']);
    expect((await api.call('GET', '/v1/sources')).status).toBe(200);
    const login = await new ApiClient(hookline.url).call('POST', '/v1/sessions', { email: adminEmail, password: adminTenant.password });
    expect(login.status).toBe(201);
    expect(login.body.tenant.name).toBe('Operator made');
  });

  it("an existing tenant's invite creates a tenant once", async () => {
    const inviter = new ApiClient(hookline.url, adminTenant['api key']);
    const invite = await inviter.ok('POST', '/v1/invites');
    expect(invite.url).toBe(`${hookline.url}/#/signup?invite=${invite.token}`);
    expect(Date.parse(invite.expires_at)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const anon = new ApiClient(hookline.url);
    // A signup that fails (the email is taken) does not spend the invite.
    const taken = await anon.call('POST', '/v1/signup', signupBody({ email: adminEmail, invite: invite.token }));
    expect(taken.status).toBe(409);

    const first = await anon.call('POST', '/v1/signup', signupBody({ invite: invite.token }));
    expect(first.status).toBe(201);
    expect((await new ApiClient(hookline.url, first.body.api_key).call('GET', '/v1/sources')).status).toBe(200);
    expect(first.body.tenant.id).not.toBe(adminTenant.tenant?.split(' ')[0]);

    const again = await anon.call('POST', '/v1/signup', signupBody({ invite: invite.token }));
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('invite_invalid');
  });

  it("the admin command's invite works once too", async () => {
    expect(adminInvite.invite).toBe(`${hookline.url}/#/signup?invite=${adminInvite.token}`);
    const anon = new ApiClient(hookline.url);
    expect((await anon.call('POST', '/v1/signup', signupBody({ invite: adminInvite.token }))).status).toBe(201);
    expect((await anon.call('POST', '/v1/signup', signupBody({ invite: adminInvite.token }))).status).toBe(403);
  });

  it('invites need an API key or session', async () => {
    expect((await new ApiClient(hookline.url).call('POST', '/v1/invites')).status).toBe(401);
  });
});

describe('HOOKLINE_SIGNUP=open (the default)', () => {
  it('lets anyone sign up, and an invite is still spent once', async () => {
    const backend = await backendEnv();
    const hookline = await startHooklineProcess({ env: backend.env });
    try {
      const anon = new ApiClient(hookline.url);
      const first = await anon.call('POST', '/v1/signup', signupBody());
      expect(first.status).toBe(201);
      const invite = await new ApiClient(hookline.url, first.body.api_key).ok('POST', '/v1/invites');
      expect((await anon.call('POST', '/v1/signup', signupBody({ invite: invite.token }))).status).toBe(201);
      expect((await anon.call('POST', '/v1/signup', signupBody({ invite: invite.token }))).status).toBe(403);
    } finally {
      await hookline.stop();
      await backend.cleanup();
    }
  });
});
