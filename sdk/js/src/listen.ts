import { secretKey } from './bytes.js';
import type { HooklineEvent } from './events.js';
import { defaultStateFile, ListenState } from './listen-state.js';
import { SseParser } from './sse.js';
import { sign } from './verify.js';
import { VERSION } from './version.js';

/** Where a self-hosted Hookline answers by default (`npm start`). */
export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/**
 * `AbortSignal`, described structurally so that these declarations need neither the DOM nor
 * the Node types: pass `AbortSignal.timeout(…)` or an `AbortController`'s signal.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface ListenOptions {
  /** A Hookline API key (`Authorization: Bearer …`). */
  apiKey: string;
  /** The source whose events to forward (`src_…`). */
  source: string;
  /** Where to POST each event, e.g. `http://localhost:3000/webhooks/hookline`. */
  forwardTo: string;
  /** The Hookline API. Default `http://127.0.0.1:8080`. */
  apiUrl?: string;
  /**
   * The `whsec_…` secret to sign forwards with. By default one is generated on the first run
   * and kept in the state file, so it stays the same from run to run.
   */
  secret?: string;
  /**
   * Where the local secret and the stream position are kept, one entry per source. Default
   * `$HOOKLINE_LISTEN_STATE`, else `$XDG_CONFIG_HOME/hookline/listen.json` or
   * `~/.config/hookline/listen.json`.
   */
  stateFile?: string;
  /** Called after every forward attempt, failed ones included. */
  onForward?: (forward: ForwardReport) => void;
  /** Called as the listener starts, connects, and loses its connection. */
  onStatus?: (status: ListenStatus) => void;
  /** Stops the listener; `listen()` then resolves. */
  signal?: AbortSignalLike;
  /** Attempts per event before moving on to the next one. Default 4. */
  forwardAttempts?: number;
  /** The first pause between attempts, doubled after each. Default 1000 ms. */
  forwardRetryDelayMs?: number;
  /** How long the local endpoint may take to answer. Default 15 000 ms, as for real deliveries. */
  forwardTimeoutMs?: number;
  /** The first pause before reconnecting, doubled per failed try. Default: what the stream says (`retry:`), else 1000 ms. */
  reconnectDelayMs?: number;
  /** The longest pause between reconnects. Default 30 000 ms. */
  maxReconnectDelayMs?: number;
  /** Reconnect when the stream sends nothing, not even its 15-second heartbeat, for this long. Default 45 000 ms. */
  idleTimeoutMs?: number;
}

/** One attempt to POST an event to `forwardTo`. */
export interface ForwardReport {
  /** The event as forwarded (the same normalized event a destination receives). */
  event: HooklineEvent;
  /** 1 for the first try. */
  attempt: number;
  maxAttempts: number;
  /** The HTTP status, or null when there was no response (refused, timed out). */
  status: number | null;
  /** What went wrong (`ECONNREFUSED`, `HTTP 500`, `timed out after 15000 ms`), or null. */
  error: string | null;
  ok: boolean;
  durationMs: number;
  /** When the next attempt follows; null once this event is done (delivered or given up on). */
  retryInMs: number | null;
  at: Date;
}

export type ListenStatus =
  | {
      type: 'started';
      secret: string;
      /** True on the first run for this source: the secret was just generated. */
      secretCreated: boolean;
      stateFile: string;
      forwardTo: string;
      apiUrl: string;
      /** The saved position, or null to start from now. */
      resumeFrom: string | null;
    }
  | { type: 'connected'; resumeFrom: string | null; reconnected: boolean }
  /**
   * An event Hookline cannot show (its `data` nests too deep, say: the stream sends it with
   * `data: null` and `data_omitted`), passed over rather than forwarded without its data.
   */
  | { type: 'skipped'; event: HooklineEvent; reason: string }
  | { type: 'disconnected'; error: string; retryInMs: number };

export interface ListenSummary {
  /** The position saved last. */
  cursor: string | null;
  /** Events delivered to `forwardTo` with a 2xx. */
  forwarded: number;
  /** Events given up on after `forwardAttempts`. */
  failed: number;
}

export type ListenErrorCode = 'unauthorized' | 'not_found' | 'bad_request' | 'bad_state';

/** A problem retrying cannot fix: a rejected API key, an unknown source, an unusable saved position. */
export class ListenError extends Error {
  readonly code: ListenErrorCode;
  readonly status: number | null;

  constructor(code: ListenErrorCode, message: string, status: number | null = null) {
    super(message);
    this.name = 'ListenError';
    this.code = code;
    this.status = status;
  }
}

/**
 * The local signing secret `listen` uses for a source, creating and saving it on first use:
 * give it to your app (for example as `HOOKLINE_SECRET`) before starting the listener.
 */
export async function getListenSecret(source: string, options: { stateFile?: string } = {}): Promise<string> {
  const state = new ListenState(options.stateFile ?? defaultStateFile(), source);
  return (await state.open()).entry.secret;
}

class Stopped extends Error {}

/**
 * Streams a source's events from Hookline to a local URL, each signed with Standard Webhooks
 * headers and a local secret, so the app verifies them with `verify()` as in production. No
 * public tunnel: the listener connects out to Hookline's event stream.
 *
 * The stream's position is saved in the state file as soon as it connects and after each
 * event handled, and sent as `Last-Event-ID` on every (re)connect, so after a dropped
 * connection, a relay restart, a sleeping laptop or a stopped listener (even one stopped
 * before its first event), the events missed meanwhile follow in order, none twice. Events
 * go one at a time, in order; a failing forward is retried `forwardAttempts` times, then
 * reported and passed over.
 *
 * Resolves when `signal` aborts; rejects with `ListenError` when retrying cannot help.
 */
export async function listen(options: ListenOptions): Promise<ListenSummary> {
  const { apiKey, source } = options;
  if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('listen() needs apiKey');
  if (typeof source !== 'string' || source === '') throw new TypeError('listen() needs source (src_…)');
  const forwardTo = httpUrl(options.forwardTo, 'forwardTo');
  const apiUrl = httpUrl(options.apiUrl ?? DEFAULT_API_URL, 'apiUrl').replace(/\/+$/, '');
  if (options.secret !== undefined) secretKey(options.secret);
  const maxAttempts = positive(options.forwardAttempts, 4, 'forwardAttempts');
  const forwardRetryDelayMs = positive(options.forwardRetryDelayMs, 1000, 'forwardRetryDelayMs', true);
  const forwardTimeoutMs = positive(options.forwardTimeoutMs, 15_000, 'forwardTimeoutMs');
  const maxReconnectDelayMs = positive(options.maxReconnectDelayMs, 30_000, 'maxReconnectDelayMs');
  const idleTimeoutMs = positive(options.idleTimeoutMs, 45_000, 'idleTimeoutMs');

  const state = new ListenState(options.stateFile ?? defaultStateFile(), source);
  const opened = await state.open();
  const secret = options.secret ?? opened.entry.secret;
  const onStatus = options.onStatus ?? (() => {});
  const onForward = options.onForward ?? (() => {});

  const stop = new AbortController();
  const onAbort = () => stop.abort(new Stopped('stopped'));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = () => stop.signal.aborted;

  const summary: ListenSummary = { cursor: state.entry.cursor, forwarded: 0, failed: 0 };
  const auth = { authorization: `Bearer ${apiKey}` };
  let retryHint: number | undefined;

  onStatus({
    type: 'started',
    secret,
    secretCreated: opened.created && options.secret === undefined,
    stateFile: state.path,
    forwardTo,
    apiUrl,
    resumeFrom: state.entry.cursor,
  });

  const saveCursor = async (cursor: string) => {
    if (cursor === '' || cursor === state.entry.cursor) return;
    await state.save({ cursor, api_url: apiUrl, forward_to: forwardTo });
    summary.cursor = cursor;
  };

  /** POSTs one event, with retries; false when it was given up on. */
  const forward = async (body: string, event: HooklineEvent): Promise<boolean> => {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (stopped()) throw new Stopped('stopped');
      const started = performance.now();
      const at = new Date();
      const call = new AbortController();
      const timer = setTimeout(() => call.abort(new Error(`timed out after ${forwardTimeoutMs} ms`)), forwardTimeoutMs);
      const unlink = link(stop.signal, call);
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(forwardTo, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': `hookline-listen/${VERSION}`,
            ...sign(body, secret, { id: event.id, timestamp: at }),
            'hookline-event-type': event.type,
            'hookline-provider': event.provider,
            'hookline-source-id': event.source_id,
            'hookline-attempt': String(attempt),
          },
          body,
          redirect: 'manual',
          signal: call.signal,
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        if (stopped()) throw new Stopped('stopped');
        error = describeError(err, call.signal);
      } finally {
        clearTimeout(timer);
        unlink();
      }
      const ok = status !== null && status >= 200 && status < 300;
      if (!ok && error === null) error = `HTTP ${status}`;
      const retryInMs = ok || attempt === maxAttempts ? null : forwardRetryDelayMs * 2 ** (attempt - 1);
      onForward({ event, attempt, maxAttempts, status, error, ok, durationMs: Math.round(performance.now() - started), retryInMs, at });
      if (ok) {
        summary.forwarded++;
        return true;
      }
      if (retryInMs !== null) await sleep(retryInMs, stop.signal);
    }
    summary.failed++;
    return false;
  };

  const failedResponse = async (res: Response, what: string, resuming: boolean): Promise<never> => {
    const detail = await errorMessage(res);
    if (res.status === 401 || res.status === 403) {
      throw new ListenError('unauthorized', `Hookline rejected the API key (${res.status}${detail})`, res.status);
    }
    if (res.status === 404) {
      throw new ListenError('not_found', `source ${source} was not found at ${apiUrl} for this API key (404${detail})`, 404);
    }
    if (res.status === 400) {
      throw resuming
        ? new ListenError(
            'bad_state',
            `Hookline refused the saved position ${state.entry.cursor} (400${detail}); remove the "${source}" entry's cursor from ${state.path} to start from now`,
            400,
          )
        : new ListenError('bad_request', `${what} answered 400${detail}`, 400);
    }
    throw new RetryableResponse(`${what} answered ${res.status}${detail}`, retryAfterMs(res));
  };

  /** Reads one connection to its end; resolves when it ends, rejects when it fails. */
  const consume = async (res: Response, connection: AbortController) => {
    const body = res.body;
    if (!body) throw new Error('the stream response has no body');
    const reader = body.getReader();
    const parser = new SseParser();
    let lastData = Date.now();
    let lastTick = Date.now();
    let reading = false;
    const tickMs = Math.min(5000, Math.max(50, Math.floor(idleTimeoutMs / 4)));
    // A stream that goes quiet (a half-open connection after a sleep or a network change)
    // would otherwise hang: heartbeats come every 15 s, so silence means a dead connection.
    const watchdog = setInterval(() => {
      const now = Date.now();
      if (now - lastTick > tickMs * 3 + 5000 && !connection.signal.aborted) {
        connection.abort(new Error(`the computer was asleep for ${Math.round((now - lastTick) / 1000)} s`));
      } else if (reading && now - lastData > idleTimeoutMs && !connection.signal.aborted) {
        connection.abort(new Error(`no data, not even a heartbeat, for ${Math.round((now - lastData) / 1000)} s`));
      }
      lastTick = now;
    }, tickMs);
    try {
      for (;;) {
        reading = true;
        const { done, value } = await reader.read();
        reading = false;
        if (done) return;
        for (const item of parser.push(value)) {
          if (stopped()) throw new Stopped('stopped');
          if (item.kind === 'retry') retryHint = item.ms;
          else if (item.kind === 'id') await saveCursor(item.id);
          else if (item.kind === 'message') {
            const { message } = item;
            if (message.event === 'event') {
              const event = parseEvent(message.data);
              const omitted = event && dataOmitted(event);
              if (omitted) onStatus({ type: 'skipped', event, reason: omitted });
              else if (event) await forward(message.data, event);
            }
            if (message.id !== undefined) await saveCursor(message.id);
          }
        }
        lastData = Date.now();
      }
    } finally {
      clearInterval(watchdog);
      reader.cancel().catch(() => {});
    }
  };

  let failures = 0;
  let connections = 0;
  try {
    while (!stopped()) {
      const connection = new AbortController();
      const unlink = link(stop.signal, connection);
      let connectedAt = 0;
      let problem: string;
      let pause: number | undefined;
      try {
        const resumeFrom = state.entry.cursor;
        const headers: Record<string, string> = { ...auth, accept: 'text/event-stream', 'cache-control': 'no-cache' };
        if (resumeFrom) headers['last-event-id'] = resumeFrom;
        const query = new URLSearchParams({ source_id: source, kinds: 'event' });
        const res = await fetch(`${apiUrl}/v1/stream?${query}`, { headers, signal: connection.signal });
        if (res.status !== 200) await failedResponse(res, 'the event stream', resumeFrom !== null);
        connectedAt = Date.now();
        onStatus({ type: 'connected', resumeFrom, reconnected: connections++ > 0 });
        // The stream's first block is its starting position (an id with no data), saved at
        // once: a listener stopped before its first event resumes from where it connected.
        await consume(res, connection);
        problem = 'the stream ended';
      } catch (err) {
        if (stopped()) break;
        if (err instanceof ListenError) throw err;
        if (err instanceof RetryableResponse) pause = err.retryAfterMs;
        problem = describeError(err, connection.signal);
      } finally {
        unlink();
        connection.abort();
      }
      // A connection that held for a while starts the backoff over.
      if (connectedAt > 0 && Date.now() - connectedAt > 10_000) failures = 0;
      failures++;
      const base = options.reconnectDelayMs ?? retryHint ?? 1000;
      const backoff = Math.min(maxReconnectDelayMs, base * 2 ** (failures - 1)) * (0.8 + Math.random() * 0.4);
      const delay = Math.round(Math.max(pause ?? 0, backoff));
      onStatus({ type: 'disconnected', error: problem, retryInMs: delay });
      await sleep(delay, stop.signal);
    }
  } catch (err) {
    if (!(err instanceof Stopped)) throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return summary;
}

class RetryableResponse extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

function parseEvent(data: string): HooklineEvent | undefined {
  try {
    const event = JSON.parse(data) as HooklineEvent | null;
    return event !== null && typeof event === 'object' && typeof event.id === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

/** Why the stream left this event's data out (`data_omitted.message`), or undefined when it is whole. */
function dataOmitted(event: HooklineEvent): string | undefined {
  const omitted = (event as { data_omitted?: { message?: unknown } | null }).data_omitted;
  if (omitted === undefined || omitted === null) return undefined;
  return typeof omitted.message === 'string' ? omitted.message : 'Hookline cannot show its data';
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const text = await res.text();
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof message === 'string' ? `: ${message}` : '';
  } catch {
    return '';
  }
}

function retryAfterMs(res: Response): number | undefined {
  const value = res.headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Aborts `target` when `source` aborts; returns the unsubscribe. */
function link(source: AbortSignal, target: AbortController): () => void {
  if (source.aborted) {
    target.abort(source.reason);
    return () => {};
  }
  const onAbort = () => target.abort(source.reason);
  source.addEventListener('abort', onAbort, { once: true });
  return () => source.removeEventListener('abort', onAbort);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A short reason: `ECONNREFUSED` rather than fetch's "fetch failed". */
function describeError(err: unknown, signal?: AbortSignal): string {
  if (signal?.aborted && signal.reason instanceof Error && signal.reason.message) return signal.reason.message;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

function httpUrl(value: unknown, name: string): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`listen() ${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`listen() ${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return url.toString();
}

function positive(value: number | undefined, fallback: number, name: string, zeroOk = false): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && (zeroOk ? value >= 0 : value > 0) && Number.isFinite(value))) {
    throw new TypeError(`listen() ${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number`);
  }
  return value;
}
