import type { FastifyInstance } from 'fastify';

/** The slice of `fetch` the test clients use, so they run over real HTTP or in-process alike. */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` that hands each request to `app.inject` instead of a socket: only the path and
 * query of the URL count (an ingest URL names the public URL, nothing listens there).
 * Streams that never end (GET /v1/stream) need a real socket; use a started process.
 */
export function injectFetch(app: FastifyInstance): Fetch {
  return async (url, init = {}) => {
    const { pathname, search } = new URL(url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new Error('injectFetch: send a string or bytes');
    }
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: `${pathname}${search}`,
      headers,
      payload: body === null || body === undefined ? undefined : typeof body === 'string' ? body : Buffer.from(body),
    });
    const answer = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [String(value)]) answer.append(name, one);
    }
    const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
    return new Response(empty ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: answer });
  };
}
