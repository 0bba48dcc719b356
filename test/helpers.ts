import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@hookline/config';
import { buildApp, type HooklineApp, ROLES, type Role } from '@hookline/server';
import { type ApiClient, type Fetch, injectFetch, REPO_ROOT } from '@hookline/testing';
import type { BrowserContext } from 'playwright-core';

const MUX_FIXTURES = join(REPO_ROOT, 'packages/providers/fixtures/mux');
export const MUX_SECRET = 'mux-test-webhook-secret-0001';

/** A Mux fixture's exact bytes (packages/providers/fixtures). */
export function muxFixture(name: string): string {
  return readFileSync(join(MUX_FIXTURES, `${name}.json`), 'utf8');
}

/** The same fixture with a fresh provider event id, so each send is a new event. */
export function freshMuxEvent(name = 'video.asset.ready', id = crypto.randomUUID()): string {
  return muxFixture(name).replace(/"id": "[0-9a-f-]{36}"/, `"id": "${id}"`);
}

export async function createMuxSource(api: ApiClient, secret = MUX_SECRET) {
  return api.ok('POST', '/v1/sources', { name: 'Mux production', provider: 'mux', verification: { secret } });
}

export interface InProcessHookline extends HooklineApp {
  /** The public URL the app names in ingest URLs; nothing listens there, `fetch` reaches the app. */
  url: string;
  /** A `fetch` served by `app.inject`: hand it to ApiClient, signUp and sendWebhook. */
  fetch: Fetch;
}

/**
 * Hookline's roles built in this process without listening (buildApp), configured from
 * `env` alone as the process would be from its environment. Routes and ingest are driven
 * with `app.inject`, which skips a process start and the loopback; destinations are still
 * called over real HTTP. Use startHooklineProcess where the process itself is under test
 * (signals, crashes, several roles, live streams).
 */
export async function startHooklineApp(
  options: { env?: Record<string, string>; roles?: readonly Role[] } = {},
): Promise<InProcessHookline> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...options.env });
  const built = await buildApp(config, new Set(options.roles ?? ROLES));
  return { ...built, url: config.publicUrl, fetch: injectFetch(built.app) };
}

/**
 * The API as the person logged in to a browser test calls it: the context's session cookie
 * (read at each call, so it follows a new login) and the CSRF header the web UI sends.
 * Answers the parsed JSON; a non-2xx answer throws, naming the call.
 */
export async function sessionCall(context: BrowserContext, baseUrl: string, method: string, path: string, payload?: unknown): Promise<any> {
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { cookie, 'x-hookline-csrf': '1', ...(payload ? { 'content-type': 'application/json' } : {}) },
    body: payload ? JSON.stringify(payload) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
