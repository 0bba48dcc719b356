import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId } from '@hookline/core';
import {
  currentCursor,
  type Db,
  decodeCursor,
  encodeCursor,
  getSource,
  listAttemptsByIds,
  listEventsByIds,
  listRequestsByIds,
  readStream,
  type StreamCursor,
  type StreamEntry,
  type StreamKind,
} from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
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
  delivery_status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('paused')]),
  next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** The three kinds of stream message, for the OpenAPI document and the clients typed from it. */
const StreamMessage = Type.Union([
  Type.Object({ id: Type.String(), event: Type.Literal('request'), data: RequestView }),
  Type.Object({ id: Type.String(), event: Type.Literal('event'), data: Type.Omit(EventView, ['status']) }),
  Type.Object({ id: Type.String(), event: Type.Literal('attempt'), data: AttemptView }),
]);
const BATCH = 500;

/** Renders stream entries as the same objects the list endpoints return. */
async function render(db: Db, tenantId: string, entries: StreamEntry[]) {
  const ids = (kind: StreamKind) => entries.filter((e) => e.kind === kind).map((e) => e.ref_id);
  const [requests, events, attempts] = await Promise.all([
    listRequestsByIds(db, tenantId, ids('request')),
    listEventsByIds(db, tenantId, ids('event')),
    listAttemptsByIds(db, tenantId, ids('attempt')),
  ]);
  const byId = new Map<string, unknown>();
  for (const r of requests) byId.set(r.id, { ...r, received_at: r.received_at.toISOString() });
  for (const e of events) byId.set(e.id, JSON.parse(e.payload));
  for (const a of attempts) {
    byId.set(a.id, { ...a, created_at: a.created_at.toISOString(), next_attempt_at: a.next_attempt_at?.toISOString() ?? null });
  }
  // An entry whose row is gone (pruned, or its source deleted) is skipped, not sent empty.
  return entries.flatMap((e) => (byId.has(e.ref_id) ? [{ entry: e, data: byId.get(e.ref_id) }] : []));
}

export const streamRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  // A comment line every heartbeatMs keeps proxies from closing an idle stream; a re-read
  // every pollMs covers a lost wake-up or a transaction that committed late.
  const timings = deps.stream ?? { heartbeatMs: 15_000, pollMs: 2_000 };

  app.get(
    '/v1/stream',
    {
      schema: {
        tags: ['stream'],
        summary: 'Server-Sent Events: requests, events and attempts as they happen',
        description:
          'Each message has `id:` (a cursor), `event:` (request, event or attempt) and `data:` (JSON, as the list endpoints return it). ' +
          'Reconnect with `Last-Event-ID` (or `?last_event_id=`) to resume with nothing skipped or repeated. Without one, the stream starts from now.',
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
      let cursor: StreamCursor | null = decodeCursor(resumeFrom);
      if (resumeFrom && !cursor) throw badRequest('Last-Event-ID is not a cursor this stream handed out');
      cursor ??= await currentCursor(deps.db, tenantId);

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
      res.write(`retry: 2000\nid: ${encodeCursor(cursor)}\n: connected\n\n`);

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
            const entries = await readStream(deps.db, tenantId, cursor as StreamCursor, { sourceId, kinds, limit: BATCH });
            if (entries.length === 0) break;
            for (const { entry, data } of await render(deps.db, tenantId, entries)) {
              res.write(`id: ${encodeCursor(entry)}\nevent: ${entry.kind}\ndata: ${JSON.stringify(data)}\n\n`);
            }
            cursor = entries.at(-1) as StreamEntry;
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
      const close = () => {
        closed = true;
        unsubscribe();
        clearInterval(poll);
        clearInterval(heartbeat);
      };
      request.raw.on('close', close);
      res.on('error', close);
      await pump();
    },
  );
};
