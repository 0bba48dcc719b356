import { ApiClient, backendEnv, type HooklineProcess, startHooklineProcess, testBackend } from '@hookline/testing';
import { describe, expect, it } from 'vitest';

const PASSWORD = 'correct horse battery';
let counter = 0;

/** A process of the test's own: the per-address login budget (30 a minute) is per process. */
async function withHookline(test: (hookline: HooklineProcess) => Promise<void>) {
  const storage = await backendEnv();
  const hookline = await startHooklineProcess({ env: storage.env });
  try {
    await test(hookline);
  } finally {
    await hookline.stop();
    await storage.cleanup();
  }
}

function newEmail(): string {
  return `account${Date.now()}-${++counter}@example.test`;
}

async function signUp(url: string, email = newEmail(), password = PASSWORD) {
  return new ApiClient(url).call('POST', '/v1/signup', { email, password, name: 'Accounts' });
}

/** A web session: its cookie, sent with the CSRF header on writes. */
async function logIn(url: string, email: string, password: string) {
  const res = await fetch(`${url}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await res.json();
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, body, retryAfter: res.headers.get('retry-after'), cookie };
}

async function asSession(url: string, cookie: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { cookie, 'x-hookline-csrf': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('accounts', () => {
  it('refuses the commonest and trivial passwords at signup with weak_password', async () => {
    await withHookline(async (hookline) => {
      const email = newEmail();
      for (const password of ['          ', '1234567890', 'password123', 'qwertyuiop', 'aaaaaaaaaaaa', `${email.split('@')[0]}!`]) {
        const res = await signUp(hookline.url, email, password);
        expect(res.status, password).toBe(400);
        expect(res.body.error.code, password).toBe('weak_password');
        expect(res.body.error.message, password).toMatch(/^password /);
      }
      expect((await signUp(hookline.url, email, PASSWORD)).status).toBe(201);
    });
  });

  it('locks an account after 10 wrong passwords with 429 and Retry-After, telling nothing of whether it exists', async () => {
    await withHookline(async (hookline) => {
      const email = newEmail();
      expect((await signUp(hookline.url, email)).status).toBe(201);
      const unknown = newEmail();
      for (const who of [email, unknown]) {
        for (let i = 0; i < 10; i++) expect((await logIn(hookline.url, who, `wrong guess ${i}`)).status, `${who} #${i}`).toBe(401);
      }
      const locked = await logIn(hookline.url, email, PASSWORD); // even the right password
      const lockedUnknown = await logIn(hookline.url, unknown, PASSWORD);
      for (const res of [locked, lockedUnknown]) {
        expect(res.status).toBe(429);
        expect(res.body.error.code).toBe('too_many_attempts');
        expect(Number(res.retryAfter)).toBeGreaterThan(50);
        expect(Number(res.retryAfter)).toBeLessThanOrEqual(60);
      }
      expect(lockedUnknown.body.error.message.replace(/\d+ s$/, '')).toBe(locked.body.error.message.replace(/\d+ s$/, ''));
      expect(locked.cookie).toBeUndefined();
    });
  });

  it.skipIf(testBackend() !== 'postgres')('counts failures across API processes', async () => {
    const storage = await backendEnv();
    const one = await startHooklineProcess({ role: 'api', env: storage.env });
    const two = await startHooklineProcess({ role: 'api', env: storage.env });
    try {
      const email = newEmail();
      expect((await signUp(one.url, email)).status).toBe(201);
      for (let i = 0; i < 10; i++) {
        expect((await logIn(i % 2 ? two.url : one.url, email, `wrong guess ${i}`)).status).toBe(401);
      }
      expect((await logIn(one.url, email, PASSWORD)).status).toBe(429);
      expect((await logIn(two.url, email, PASSWORD)).status).toBe(429);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await storage.cleanup();
    }
  });

  it('starts the count over after a right password', async () => {
    await withHookline(async (hookline) => {
      const email = newEmail();
      expect((await signUp(hookline.url, email)).status).toBe(201);
      for (let i = 0; i < 6; i++) expect((await logIn(hookline.url, email, `wrong guess ${i}`)).status).toBe(401);
      expect((await logIn(hookline.url, email, PASSWORD)).status).toBe(201);
      for (let i = 0; i < 9; i++) expect((await logIn(hookline.url, email, `wrong again ${i}`)).status).toBe(401);
      expect((await logIn(hookline.url, email, PASSWORD)).status).toBe(201);
    });
  });

  it('changes the password with the current one, applies the policy, and ends the other sessions', async () => {
    await withHookline(async (hookline) => {
      const email = newEmail();
      const signup = await signUp(hookline.url, email);
      const here = (await logIn(hookline.url, email, PASSWORD)).cookie as string;
      const elsewhere = (await logIn(hookline.url, email, PASSWORD)).cookie as string;
      const change = (body: unknown) => asSession(hookline.url, here, 'POST', '/v1/password', body);
      const NEW = 'maple kettle orbit violin';

      // Not with an API key: passwords belong to users.
      const withKey = await new ApiClient(hookline.url, signup.body.api_key).call('POST', '/v1/password', {
        current_password: PASSWORD,
        new_password: NEW,
      });
      expect(withKey.status).toBe(403);
      expect(withKey.body.error.code).toBe('session_required');

      const wrong = await change({ current_password: 'not my password', new_password: NEW });
      expect(wrong).toMatchObject({ status: 400, body: { error: { code: 'wrong_password' } } });
      for (const weak of ['1234567890', 'iloveyou123', '          ', PASSWORD]) {
        const res = await change({ current_password: PASSWORD, new_password: weak });
        expect(res.status, weak).toBe(400);
        expect(res.body.error.code, weak).toBe('weak_password');
      }

      expect(await change({ current_password: PASSWORD, new_password: NEW })).toEqual({ status: 200, body: { other_sessions_ended: 1 } });
      expect((await asSession(hookline.url, elsewhere, 'GET', '/v1/sources')).status).toBe(401);
      expect((await asSession(hookline.url, here, 'GET', '/v1/sources')).status).toBe(200);
      expect((await logIn(hookline.url, email, PASSWORD)).status).toBe(401);
      expect((await logIn(hookline.url, email, NEW)).status).toBe(201);
      // The workspace's API key is not a session: it keeps working.
      expect((await new ApiClient(hookline.url, signup.body.api_key).call('GET', '/v1/sources')).status).toBe(200);
    });
  });
});
