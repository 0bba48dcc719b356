import type { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler as createCoreHandler, type HandlerOptions } from './handler.js';
import { nodeHandler } from './node.js';

export type { DeliveryInfo, EventHandler, EventHandlers, HandlerOptions } from './handler.js';

/**
 * An Express route handler (Express 4 and 5). Typed on Node's request and response, which
 * Express's extend, so no Express types are needed to use it.
 */
export type ExpressHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => Promise<void>;

/**
 * `app.post('/webhooks/hookline', createHandler({ secret, on: { … } }))`, mounted before
 * `app.use(express.json())`: the handler reads the raw body itself. If a body parser does run
 * first, give it `verify: keepRawBody` (or use `express.raw()`); a body parsed without a raw
 * copy is answered 500 with an explanation, since its signature can no longer be checked.
 */
export function createHandler(options: HandlerOptions): ExpressHandler {
  return nodeHandler(createCoreHandler(options));
}

/**
 * For body parsers that run before the Hookline route: `express.json({ verify: keepRawBody })`
 * keeps the received bytes on `req.rawBody`, which the handler then verifies.
 */
export function keepRawBody(req: IncomingMessage, _res: ServerResponse, buf: Buffer): void {
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
}
