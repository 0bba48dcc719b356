import { BodyReadError, createHandler as createCoreHandler, type HandlerOptions } from './handler.js';

export type { DeliveryInfo, EventHandler, EventHandlers, HandlerOptions } from './handler.js';

/** A fetch-style handler: Next.js route handlers, Hono (`c.req.raw`), Cloudflare Workers, Deno, Bun. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * `export const POST = createHandler({ secret, on: { … } })` in a Next.js route, or
 * `app.post('/webhooks', (c) => handler(c.req.raw))` in Hono.
 *
 * Verification uses node:crypto, so on Cloudflare Workers enable the `nodejs_compat`
 * compatibility flag, and in Next.js keep the route on the Node.js runtime (the default).
 */
export function createHandler(options: HandlerOptions): FetchHandler {
  const handler = createCoreHandler(options);
  return async (request) => {
    const answer = await handler.handle({
      method: request.method,
      headers: request.headers,
      body: () => readBody(request, handler.maxBodyBytes),
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
}

async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (request.bodyUsed) {
    throw new BodyReadError(
      'body_already_parsed',
      'the request body was already read before the Hookline handler; pass it the untouched Request',
    );
  }
  if (Number(request.headers.get('content-length')) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(maxBytes: number): BodyReadError {
  return new BodyReadError('payload_too_large', `the body is larger than ${maxBytes} bytes (maxBodyBytes)`);
}
