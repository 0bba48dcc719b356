import type { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import { createHandler as createCoreHandler, type HandlerOptions } from './handler.js';

export type { DeliveryInfo, EventHandler, EventHandlers, HandlerOptions } from './handler.js';

export interface FastifyHandlerOptions extends HandlerOptions {
  /** The route inside the plugin's prefix. Default `/`, so `register(…, { prefix })` names it. */
  path?: string;
}

/**
 * The parts of Fastify (4 and 5) the plugin uses, stated here so the package needs no Fastify
 * types; Fastify's own instance, request and reply satisfy them.
 */
export interface FastifyInstanceLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => void,
  ): void;
  post(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>): unknown;
}

export interface FastifyRequestLike {
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

export type HooklineFastifyPlugin = (instance: FastifyInstanceLike, options: Record<string, unknown>) => Promise<void>;

/**
 * A Fastify plugin serving one POST route:
 * `app.register(createHandler({ secret, on: { … } }), { prefix: '/webhooks/hookline' })`.
 *
 * It is deliberately not wrapped with fastify-plugin, so it stays encapsulated: inside it, a
 * catch-all content-type parser hands the route the raw Buffer, while the rest of the app
 * keeps its own JSON parsing.
 */
export function createHandler(options: FastifyHandlerOptions): HooklineFastifyPlugin {
  const { path = '/', ...handlerOptions } = options;
  const handler = createCoreHandler(handlerOptions);
  return async (instance) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: handler.maxBodyBytes }, (_request, body, done) => done(null, body));
    instance.post(path, async (request, reply) => {
      // No body at all (no content-type) never reaches a parser.
      const body = request.body === undefined || request.body === null ? '' : (request.body as Buffer);
      const answer = await handler.handle({ headers: request.headers, body });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  };
}
