import { secretKey } from './bytes.js';
import { WebhookVerificationError } from './errors.js';
import type { EventOfType, HooklineEvent, HooklineEventType } from './events.js';
import { type HeadersInput, type RawBody, readHeader, type VerifyOptions, verify } from './verify.js';

/** About this delivery of the event, rather than the event itself. */
export interface DeliveryInfo {
  /** `webhook-id`: the event id, the same on every attempt. Use it to skip duplicates. */
  id: string;
  /** When this attempt was signed. */
  timestamp: Date;
  /** `hookline-attempt`: 1 on the first attempt, counting up on retries; null if absent. */
  attempt: number | null;
}

export type EventHandler<E> = (event: E, delivery: DeliveryInfo) => unknown;

/** One optional handler per known event type, each given the event narrowed to its type. */
export type EventHandlers = { [T in HooklineEventType]?: EventHandler<EventOfType<T>> };

export interface HandlerOptions extends VerifyOptions {
  /** The destination's signing secret (`whsec_…`). */
  secret: string;
  /** Runs for every verified event, known type or not, before the handler for its type. */
  onEvent?: EventHandler<HooklineEvent>;
  /** Handlers per event type. */
  on?: EventHandlers;
  /**
   * Told when a handler throws (the delivery is then answered 500 and retried). Defaults to
   * `console.error`, so a failing handler is never silent.
   */
  onError?: (error: unknown, event?: HooklineEvent) => void;
  /** Largest body read, in bytes; larger requests get 413. Default 5 MiB. */
  maxBodyBytes?: number;
}

/** A framework-neutral answer, which each adapter writes out in its framework's terms. */
export interface HandlerResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface HandlerRequest {
  /** When given, anything but POST is answered 405 without reading the body. */
  method?: string;
  headers: HeadersInput;
  /** The raw body, or a function reading it (adapters pass one, so a 405 reads nothing). */
  body: RawBody | (() => Promise<RawBody>);
}

export interface HooklineHandler {
  /** Verifies one delivery, runs the handlers, and says how to answer. Never throws. */
  handle(request: HandlerRequest): Promise<HandlerResponse>;
  readonly maxBodyBytes: number;
}

/**
 * Thrown by an adapter's body reader when it cannot give the raw bytes: too large, or already
 * consumed by a body parser mounted before the handler.
 */
export class BodyReadError extends Error {
  constructor(
    readonly code: 'payload_too_large' | 'body_already_parsed' | 'body_read_failed',
    message: string,
  ) {
    super(message);
    this.name = 'BodyReadError';
  }
}

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * The handler behind every framework adapter: 200 once the handlers resolve, 400 when
 * verification fails (the relay records why), 500 when a handler throws, so the relay
 * retries on its schedule.
 */
export function createHandler(options: HandlerOptions): HooklineHandler {
  const { secret, onEvent, on = {}, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  const userOnError = options.onError ?? logHandlerError;
  // handle() promises never to throw: adapters hand its promise to frameworks (or Node's
  // http server) that would turn a rejection into a crash or a hung request.
  const onError = (error: unknown, event?: HooklineEvent) => {
    try {
      userOnError(error, event);
    } catch (thrown) {
      console.error('[hookline] onError threw while reporting', error, thrown);
    }
  };
  // A wrong secret format is a deployment bug: fail at startup, not on the first delivery.
  secretKey(secret);
  if (!onEvent && Object.keys(on).length === 0) throw new TypeError('createHandler() needs onEvent or at least one handler in `on`');
  const verifyOptions: VerifyOptions = { now: options.now, toleranceSeconds: options.toleranceSeconds };
  const handlers = on as Record<string, EventHandler<HooklineEvent> | undefined>;

  return {
    maxBodyBytes,
    async handle(request) {
      if (request.method !== undefined && request.method.toUpperCase() !== 'POST') {
        return errorResponse(405, 'method_not_allowed', 'webhook deliveries are POST requests', { allow: 'POST' });
      }
      let body: RawBody;
      try {
        body = typeof request.body === 'function' ? await request.body() : request.body;
      } catch (err) {
        return bodyErrorResponse(err, onError);
      }
      let event: HooklineEvent;
      try {
        event = verify(body, request.headers, secret, verifyOptions);
      } catch (err) {
        if (err instanceof WebhookVerificationError) return errorResponse(400, err.reason, err.message);
        onError(err);
        return errorResponse(500, 'internal_error', 'the webhook handler failed');
      }
      const delivery = deliveryInfo(request.headers);
      try {
        await onEvent?.(event, delivery);
        // Own properties only: an unknown provider type named like `constructor` must not reach Object.prototype.
        const typed = Object.hasOwn(handlers, event.type) ? handlers[event.type] : undefined;
        await typed?.(event, delivery);
      } catch (err) {
        onError(err, event);
        return errorResponse(500, 'handler_failed', 'the event handler failed; the delivery will be retried');
      }
      return { status: 200, headers: JSON_HEADERS, body: '{"ok":true}' };
    },
  };
}

function bodyErrorResponse(err: unknown, onError: (error: unknown) => void): HandlerResponse {
  const code = err instanceof BodyReadError ? err.code : 'body_read_failed';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'payload_too_large') return errorResponse(413, code, message, { connection: 'close' });
  if (code === 'body_read_failed') return errorResponse(400, code, `could not read the request body: ${message}`);
  // A misconfigured app: say how to fix it both in the app's log and in the response, which
  // Hookline shows in the delivery's attempt log. 500, so the relay retries once it is fixed.
  onError(err);
  return errorResponse(500, code, message);
}

const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' };

/** `{"error":{"code","message"}}`, the error body used across Hookline. */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): HandlerResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify({ error: { code, message } }) };
}

function deliveryInfo(headers: HeadersInput): DeliveryInfo {
  const attempt = Number.parseInt(readHeader(headers, 'hookline-attempt') ?? '', 10);
  return {
    // verify() has checked both headers by now.
    id: readHeader(headers, 'webhook-id')!.trim(),
    timestamp: new Date(Number(readHeader(headers, 'webhook-timestamp')!.trim()) * 1000),
    attempt: Number.isNaN(attempt) ? null : attempt,
  };
}

function logHandlerError(error: unknown, event?: HooklineEvent): void {
  const what = event ? `event ${event.id} (${event.type})` : 'a delivery';
  console.error(`[hookline] handling ${what} failed; answered 500 so it will be retried:`, error);
}
