import { createHmac } from 'node:crypto';
import type { Fetch } from './inject.ts';

/**
 * A minimal client of the public API, as a script or the web UI would call it; over real
 * HTTP, or in-process when given `injectFetch(app)`.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    public apiKey?: string,
    readonly fetch: Fetch = globalThis.fetch,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  }

  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

export interface Tenant {
  api: ApiClient;
  apiKey: string;
  tenantId: string;
}

let counter = 0;

/** Signs up a fresh tenant and returns a client holding its API key. */
export async function signUp(baseUrl: string, fetch: Fetch = globalThis.fetch): Promise<Tenant> {
  counter++;
  const api = new ApiClient(baseUrl, undefined, fetch);
  const body = await api.ok('POST', '/v1/signup', {
    email: `user${Date.now()}${counter}@example.test`,
    password: 'correct horse battery',
    name: `Tenant ${counter}`,
  });
  api.apiKey = body.api_key;
  return { api, apiKey: body.api_key, tenantId: body.tenant.id };
}

/** `mux-signature` as Mux computes it: hex HMAC-SHA256 over `<t>.<raw body>`. */
export function muxSignature(body: string | Buffer, secret: string, t = Math.floor(Date.now() / 1000)): string {
  const hmac = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return `t=${t},v1=${hmac}`;
}

/** POSTs a body to an ingest URL as a provider would. */
export async function sendWebhook(
  ingestUrl: string,
  body: string | Buffer,
  headers: Record<string, string>,
  fetch: Fetch = globalThis.fetch,
) {
  const res = await fetch(ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body as BodyInit,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
