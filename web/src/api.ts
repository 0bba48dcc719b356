/**
 * A typed client of Hookline's public API, same-origin with the session cookie. Every type
 * here is derived from the OpenAPI document's generated types (sdk/js/src/api.generated.ts).
 */
import type { paths } from '../../sdk/js/src/api.generated.ts';

type Method = 'get' | 'post' | 'patch' | 'delete';
type Json<X> = X extends { content: { 'application/json': infer C } } ? C : null;
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
/** The JSON body of an operation's success answer (200, 201 or 202; 204 is null). */
export type Ok<P extends keyof paths, M extends Method> =
  Op<P, M> extends { responses: infer R }
    ? 200 extends keyof R
      ? Json<R[200]>
      : 201 extends keyof R
        ? Json<R[201]>
        : 202 extends keyof R
          ? Json<R[202]>
          : null
    : never;
type Body<P extends keyof paths, M extends Method> =
  Op<P, M> extends { requestBody: { content: { 'application/json': infer B } } } ? B : undefined;
type Query<P extends keyof paths, M extends Method> = Op<P, M> extends { parameters: { query?: infer Q } } ? Q : never;
type PathParams<P extends keyof paths, M extends Method> = Op<P, M> extends { parameters: { path: infer X } } ? X : never;

type PathsWith<M extends Method> = { [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never }[keyof paths];

interface Options<P extends keyof paths, M extends Method> {
  path?: PathParams<P, M>;
  query?: Query<P, M>;
  body?: Body<P, M>;
}

export type Source = Ok<'/v1/sources', 'get'>['data'][number];
export type NewSource = Body<'/v1/sources', 'post'>;
export type EventItem = Ok<'/v1/events', 'get'>['data'][number];
export type EventStatus = EventItem['status'];
export type EventFilters = NonNullable<Query<'/v1/events', 'get'>>;
export type EventDetail = Ok<'/v1/events/{id}', 'get'>;
export type RawRequest = NonNullable<EventDetail['request']>;
export type Delivery = EventDetail['deliveries'][number];
export type DeliveryStatus = Delivery['status'];
export type Attempt = Delivery['attempts'][number];
export type RequestItem = Ok<'/v1/requests', 'get'>['data'][number];
export type RequestOutcome = NonNullable<NonNullable<Query<'/v1/requests', 'get'>>['outcome']>;
export type Destination = Ok<'/v1/destinations', 'get'>['data'][number];
export type DestinationDelivery = Ok<'/v1/destinations/{id}/deliveries', 'get'>['data'][number];
export type ApiKey = Ok<'/v1/api-keys', 'get'>['data'][number];
export type Session = Ok<'/v1/sessions', 'post'>;
export type Alert = Ok<'/v1/alerts', 'get'>['data'][number];
export type AlertChannel = Ok<'/v1/alert-channels', 'get'>['data'][number];
export type AlertChannelType = AlertChannel['type'];

/**
 * The live stream's messages (GET /v1/stream): "request" is a request-log item and "event" a
 * normalized event, as the list endpoints return them; "attempt" is an attempt with its
 * delivery's state. The OpenAPI document does not describe SSE payloads, so the stream's
 * types are composed from the list and detail types above.
 */
export type StreamEvent = { [K in keyof EventItem as K extends 'status' ? never : K]: EventItem[K] };
export type StreamAttempt = Attempt & {
  id: string;
  event_id: string;
  delivery_id: string;
  destination_id: string;
  delivery_status: DeliveryStatus;
  next_attempt_at: string | null;
};
export type StreamMessage =
  | { kind: 'request'; data: RequestItem }
  | { kind: 'event'; data: StreamEvent }
  | { kind: 'attempt'; data: StreamAttempt };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: (error: ApiError) => void = () => {};
/** Called when a call answers 401 (the session ended); the app shows the login page. */
export function setUnauthorizedHandler(handler: (error: ApiError) => void) {
  onUnauthorized = handler;
}

function url(template: string, path: Record<string, unknown> | undefined, query: Record<string, unknown> | undefined): string {
  const filled = template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(String(path?.[key] ?? '')));
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const qs = search.toString();
  return qs ? `${filled}?${qs}` : filled;
}

function explain(status: number, statusText: string): string {
  if (status === 429) return 'Too many requests in a short time. Wait a moment and try again.';
  if (status === 502 || status === 503 || status === 504)
    return 'Hookline is not answering right now (it may be restarting). Try again in a moment.';
  return `Hookline answered ${status} ${statusText}.`;
}

async function call<T>(method: string, target: string, body: unknown, quiet401: boolean): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // Cookie-authenticated writes must carry it (the API's CSRF defence).
  if (method !== 'GET') headers['x-hookline-csrf'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(target, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(
      0,
      'network',
      `Could not reach Hookline at ${location.origin}. Check that the server is running and your connection is up.`,
    );
  }
  if (res.status === 204) return null as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
    const err = new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message ?? explain(res.status, res.statusText));
    if (res.status === 401 && !quiet401) onUnauthorized(err);
    throw err;
  }
  return data as T;
}

function make<M extends Method>(method: M) {
  return <P extends PathsWith<M>>(path: P, options: Options<P, M> & { quiet401?: boolean } = {}): Promise<Ok<P, M>> =>
    call<Ok<P, M>>(
      method.toUpperCase(),
      url(path as string, options.path as Record<string, unknown> | undefined, options.query as Record<string, unknown> | undefined),
      options.body,
      options.quiet401 ?? false,
    );
}

export const api = { get: make('get'), post: make('post'), patch: make('patch'), del: make('delete') };

/** Every page of a list (sources, destinations): the UI shows them whole. */
export async function listAll<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor: string | null }>,
  max = 1000,
) {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    all.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && all.length < max);
  return all;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message.charAt(0).toUpperCase() + err.message.slice(1);
  if (err instanceof Error) return err.message;
  return String(err);
}
