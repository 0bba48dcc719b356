import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId } from '@hookline/core';
import {
  couldHaveHandedOut,
  currentCursor,
  type Db,
  getSource,
  listAttemptsByIds,
  listEventsByIds,
  listRequestsByIds,
  readStream,
  StreamCursor,
  type StreamEntry,
  type StreamKind,
} from '@hookline/db';
import * as metrics from '@hookline/metrics';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { eventJson } from '../event-json.ts';
import { ErrorBody } from '../schemas.ts';
import { EventView } from './events.ts';
import { RequestView } from './requests.ts';

const KINDS: StreamKind[] = ['request', 'event', 'attempt'];

const AttemptView = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  delivery_id: Type.String(),
  destination_id: Type.String(),
  number: Type.Integer(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Integer(),
  response_excerpt: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  delivery_status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
    Type.Literal('held'),
    Type.Literal('skipped'),
  ]),
  next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** The three kinds of stream message, for the OpenAPI document and the clients typed from it. */
const StreamMessage = Type.Union([
  Type.Object({ id: Type.String(), event: Type.Literal('request'), data: RequestView }),
  Type.Object({ id: Type.String(), event: Type.Literal('event'), data: Type.Omit(EventView, ['status']) }),
  Type.Object({ id: Type.String(), event: Type.Literal('attempt'), data: AttemptView }),
]);
const BATCH = 500;

/**
 * Renders stream entries as JSON text, the same objects the list endpoints return. Each is
 * rendered on its own: an event that cannot be shown comes out as its `data_omitted` form
 * (see eventJson), and a row that fails to render is left out, so one entry can never stop
 * the stream at its position and have it re-read the same batch forever.
 */
async function render(db: Db, tenantId: string, entries: StreamEntry[], log: FastifyBaseLogger) {
  const ids = (kind: StreamKind) => entries.filter((e) => e.kind === kind).map((e) => e.ref_id);
  const [requests, events, attempts] = await Promise.all([
    listRequestsByIds(db, tenantId, ids('request')),
    listEventsByIds(db, tenantId, ids('event')),
    listAttemptsByIds(db, tenantId, ids('attempt')),
  ]);
  const byId = new Map<string, () => string>();
  for (const r of requests) byId.set(r.id, () => JSON.stringify({ ...r, received_at: r.received_at.toISOString() }));
  for (const e of events) byId.set(e.id, () => eventJson(e));
  for (const a of attempts) {
    byId.set(a.id, () =>
      JSON.stringify({ ...a, created_at: a.created_at.toISOString(), next_attempt_at: a.next_attempt_at?.toISOString() ?? null }),
    );
  }
  return entries.map((entry) => {
    const json = byId.get(entry.ref_id);
    // An entry whose row is gone (pruned, or its source deleted) is passed over, not sent empty.
    if (!json) return { entry, json: null };
    try {
      return { entry, json: json() };
    } catch (err) {
      log.error({ err, kind: entry.kind, id: entry.ref_id }, 'stream entry could not be rendered; passed over');
      return { entry, json: null };
    }
  });
}

/** One SSE message. JSON text may hold line breaks (a provider's pretty-printed data): one `data:` line each. */
function sseMessage(entry: StreamEntry, json: string): string {
  return `id: ${entry.cursor.encode()}\nevent: ${entry.kind}\ndata: ${json.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}

export const streamRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  // A comment line every heartbeatMs keeps proxies from closing an idle stream; a re-read
  // every pollMs covers a lost wake-up or a transaction that committed late.
  const timings = deps.stream ?? { heartbeatMs: 15_000, pollMs: 2_000 };
  // Open streams never end by themselves: on shutdown they are ended (clients reconnect
  // elsewhere with Last-Event-ID), so the server's close waits only for real requests.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get(
    '/v1/stream',
    {
      schema: {
        tags: ['stream'],
        summary: 'Server-Sent Events: requests, events and attempts as they happen',
        description:
          'Each message has `id:` (a cursor), `event:` (request, event or attempt) and `data:` (JSON, as the list endpoints return it). ' +
          'Reconnect with `Last-Event-ID` (or `?last_event_id=`) to resume with nothing skipped or repeated; a value that is not a cursor the stream handed out is answered 400. ' +
          'Without one, the stream starts from now. An event that cannot be shown is sent once with `data: null` and `data_omitted` (see the event schema).',
        querystring: Type.Object({
          source_id: Type.Optional(Type.String({ maxLength: 64 })),
          kinds: Type.Optional(Type.String({ maxLength: 40, description: 'Comma-separated: request,event,attempt (default all)' })),
          last_event_id: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: {
          200: {
            description: 'One SSE message per entry, shown here as {id, event, data}; data is JSON',
            content: { 'text/event-stream': { schema: StreamMessage } },
          },
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request;
      const { source_id: sourceId, kinds: kindList } = request.query;
      if (sourceId && !(isId('source', sourceId) && (await getSource(deps.db, tenantId, sourceId)))) throw notFound('source');
      const kinds = kindList ? (kindList.split(',').map((k) => k.trim()) as StreamKind[]) : KINDS;
      if (kinds.some((k) => !KINDS.includes(k))) throw badRequest('kinds must be a comma-separated list of request, event, attempt');
      const resumeFrom = (request.headers['last-event-id'] as string | undefined) ?? request.query.last_event_id;
      const resumed = resumeFrom ? StreamCursor.parse(resumeFrom) : null;
      // A cursor past anything handed out would skip whatever is written until the server
      // caught up with it: refused, like one that is not a cursor at all.
      if (resumeFrom && !(resumed && (await couldHaveHandedOut(deps.db, resumed)))) {
        throw badRequest('Last-Event-ID is not a cursor this stream handed out; connect without it to start from now');
      }
      let cursor = resumed ?? (await currentCursor(deps.db, tenantId));

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // The starting position goes out at once as an id with no data (clients record it
      // without dispatching anything), so a client that drops before the first entry can
      // still resume from where it connected.
      res.write(`retry: 2000\nid: ${cursor.encode()}\n: connected\n\n`);

      let closed = false;
      let pumping = false;
      let again = false;
      const pump = async (): Promise<void> => {
        if (closed) return;
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            const entries = await readStream(deps.db, tenantId, cursor, { sourceId, kinds, limit: BATCH });
            if (entries.length === 0) break;
            for (const { entry, json } of await render(deps.db, tenantId, entries, request.log)) {
              if (json !== null) res.write(sseMessage(entry, json));
              cursor = entry.cursor;
            }
            if (entries.length === BATCH) again = true;
          } while (again && !closed);
        } catch (err) {
          request.log.warn({ err: (err as Error).message }, 'stream read failed; retrying on the next poll');
        } finally {
          pumping = false;
        }
      };

      const unsubscribe = deps.notifier.subscribe(tenantId, () => {
        void pump();
        // A wake-up can beat the commit of an older, slower transaction: look once more.
        setTimeout(() => void pump(), 250).unref();
      });
      const poll = setInterval(() => void pump(), timings.pollMs);
      const heartbeat = setInterval(() => res.write(': ping\n\n'), timings.heartbeatMs);
      metrics.streamClients.inc();
      const close = () => {
        if (!closed) metrics.streamClients.dec();
        closed = true;
        open.delete(end);
        unsubscribe();
        clearInterval(poll);
        clearInterval(heartbeat);
      };
      const end = () => {
        close();
        res.end();
      };
      open.add(end);
      request.raw.on('close', close);
      res.on('error', close);
      await pump();
    },
  );
};
