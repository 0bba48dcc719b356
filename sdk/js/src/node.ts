import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BodyReadError,
  createHandler as createCoreHandler,
  type HandlerOptions,
  type HandlerResponse,
  type HooklineHandler,
} from './handler.js';
import type { RawBody } from './verify.js';

export type { DeliveryInfo, EventHandler, EventHandlers, HandlerOptions } from './handler.js';

/** A Node `http` request listener; also usable as Connect-style middleware. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Hookline deliveries for a Node `http` server (or any framework built on it):
 * `http.createServer(createHandler({ secret, on: { … } }))`.
 */
export function createHandler(options: HandlerOptions): NodeHandler {
  return nodeHandler(createCoreHandler(options));
}

export function nodeHandler(handler: HooklineHandler): NodeHandler {
  return async (req, res) => {
    const answer = await handler.handle({ method: req.method, headers: req.headers, body: () => readRawBody(req, handler.maxBodyBytes) });
    writeResponse(res, answer);
  };
}

export function writeResponse(res: ServerResponse, answer: HandlerResponse): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

type MaybeParsed = IncomingMessage & { rawBody?: unknown; body?: unknown; _body?: unknown };

/**
 * The request's bytes as received. Something mounted earlier may already have read the
 * stream: then a raw copy it kept (`req.rawBody`, as `express.json({ verify: keepRawBody })`,
 * NestJS and Firebase keep, or a Buffer body from `express.raw()`) is used, and a parsed
 * object is refused, because its original bytes, and so the signature, cannot be rebuilt.
 */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<RawBody> {
  const r = req as MaybeParsed;
  if (isRaw(r.rawBody)) return r.rawBody;
  if (r.readableEnded || (r.complete && !r.readable) || r._body === true) {
    if (isRaw(r.body)) return r.body;
    throw new BodyReadError(
      'body_already_parsed',
      'the request body was already read and parsed (by express.json() or another body parser) before the Hookline handler, ' +
        'so its exact bytes, which the signature covers, are gone. Mount the Hookline handler before the body parser, ' +
        'or keep the raw bytes with express.json({ verify: keepRawBody }) from @hookline/sdk/express.',
    );
  }
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        // Stop buffering but let the rest drain, so the 413 can still be written.
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new BodyReadError('body_read_failed', err.message));
    };
    const onAborted = () => onError(new Error('the client closed the connection'));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function isRaw(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function tooLarge(maxBytes: number): BodyReadError {
  return new BodyReadError('payload_too_large', `the body is larger than ${maxBytes} bytes (maxBodyBytes)`);
}
