import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type EventStatus, isId, REPLAYED_DELIVERY_STATUSES } from '@hookline/core';
import {
  countEvents,
  type Db,
  type EventRow,
  getEvent,
  getRequest,
  listAttemptsForDeliveries,
  listDeliveriesForEvents,
  listEvents,
  redeliverEvents,
} from '@hookline/db';
import { type DeliveryQueue, enqueueOrLeaveToSweeper } from '@hookline/queue';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { DeliveryStatusSchema, HeldByEventSchema, HeldReasonSchema } from '../delivery-controls.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { eventJson, MAX_EVENT_DEPTH } from '../event-json.ts';
import { parseInstant, parseSearch, SearchText, startReplay } from '../replays.ts';
import { ErrorBody, IdParams, ListQuery, Timestamp } from '../schemas.ts';

type DeliveryRow = Awaited<ReturnType<typeof listDeliveriesForEvents>>[number];

/** One word for an event's deliveries, for lists and filters. */
function eventStatus(deliveries: DeliveryRow[]): EventStatus {
  if (deliveries.length === 0) return 'no_destinations';
  if (deliveries.some((d) => d.status === 'failed')) return 'failed';
  if (deliveries.some((d) => d.status === 'pending' || d.status === 'held')) return 'pending';
  return 'delivered';
}

/** Hands redelivered deliveries to the queue. */
function enqueueAll(queue: DeliveryQueue, log: FastifyBaseLogger, deliveries: { id: string; next_attempt_at: Date | null }[]) {
  return enqueueOrLeaveToSweeper(
    queue,
    deliveries.map((d) => ({ deliveryId: d.id, runAt: d.next_attempt_at ?? new Date() })),
    log,
  );
}

function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    destination_id: d.destination_id,
    status: d.status,
    held_reason: d.held_reason,
    held_by_event_id: d.held_by_event_id,
    attempt_count: d.attempt_count,
    next_attempt_at: d.next_attempt_at?.toISOString() ?? null,
    last_attempt_at: d.last_attempt_at?.toISOString() ?? null,
  };
}

/** Each event as JSON text with its status (see eventJson: one unshowable event cannot fail the page). */
async function withStatus(db: Db, rows: Pick<EventRow, 'id' | 'payload'>[]): Promise<string[]> {
  const deliveries = await listDeliveriesForEvents(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => eventJson(row, { status: eventStatus(deliveries.filter((d) => d.event_id === row.id)) }));
}

/** Sends JSON text built by hand as it is (fastify passes a string with a JSON type through). */
function sendJson(reply: FastifyReply, text: string) {
  return reply.type('application/json; charset=utf-8').send(text);
}

/** The raw request as received: the body as text when it is UTF-8, else base64. */
function rawRequestView(request: NonNullable<Awaited<ReturnType<typeof getRequest>>>) {
  const body = request.body ? Buffer.from(request.body) : null;
  let text: string | null = null;
  if (body) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      text = null;
    }
  }
  return {
    id: request.id,
    received_at: request.received_at.toISOString(),
    method: request.method,
    headers: request.headers,
    body: text ?? body?.toString('base64') ?? null,
    body_encoding: text !== null || body === null ? ('utf8' as const) : ('base64' as const),
    remote_ip: request.remote_ip,
  };
}

export const AttemptSchema = Type.Object({
  number: Type.Integer(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Integer(),
  response_excerpt: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
});

const ObjectRef = Type.Union([Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]);
/** The normalized event (CONTRACT §3; JSON Schema in packages/providers/schema) plus its delivery status. */
export const EventView = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    provider: Type.String(),
    source_id: Type.String(),
    occurred_at: Type.Union([Timestamp, Type.Null()]),
    received_at: Timestamp,
    object: ObjectRef,
    environment: Type.Union([
      Type.Object({ id: Type.Union([Type.String(), Type.Null()]), name: Type.Union([Type.String(), Type.Null()]) }),
      Type.Null(),
    ]),
    provider_event: Type.Object({ id: Type.String(), type: Type.String() }),
    data: Type.Unknown({ description: "The provider's data object, unchanged; null when `data_omitted` is present" }),
    data_omitted: Type.Optional(
      Type.Object(
        {
          reason: Type.Union([Type.Literal('too_deep'), Type.Literal('unreadable')]),
          message: Type.String(),
        },
        {
          description:
            'Present only when the event cannot be shown, so that it does not fail the list, detail or stream around it; `data` is then null. ' +
            `\`too_deep\`: data nests deeper than ${MAX_EVENT_DEPTH - 1} levels (the raw body is in the detail's \`request\`). ` +
            '`unreadable`: the stored event is not a JSON object; only `id` is certain. ' +
            'Deliveries to destinations are unaffected.',
        },
      ),
    ),
    status: Type.Union([Type.Literal('delivered'), Type.Literal('pending'), Type.Literal('failed'), Type.Literal('no_destinations')]),
  },
  { additionalProperties: true },
);
const DeliveryView = Type.Object({
  id: Type.String(),
  destination_id: Type.String(),
  status: DeliveryStatusSchema,
  held_reason: HeldReasonSchema,
  held_by_event_id: HeldByEventSchema,
  attempt_count: Type.Integer(),
  next_attempt_at: Type.Union([Timestamp, Type.Null()]),
  last_attempt_at: Type.Union([Timestamp, Type.Null()]),
  attempts: Type.Array(AttemptSchema),
});
const RawRequest = Type.Object({
  id: Type.String(),
  received_at: Timestamp,
  method: Type.String(),
  headers: Type.Record(Type.String(), Type.String()),
  body: Type.Union([Type.String(), Type.Null()]),
  body_encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  remote_ip: Type.Union([Type.String(), Type.Null()]),
});

const EventDetail = Type.Intersect([
  EventView,
  Type.Object({ request: Type.Union([RawRequest, Type.Null()]), deliveries: Type.Array(DeliveryView) }),
]);

const Status = Type.Union([Type.Literal('delivered'), Type.Literal('pending'), Type.Literal('failed'), Type.Literal('no_destinations')]);
const FilterFields = {
  source_id: Type.Optional(Type.String({ maxLength: 64 })),
  type: Type.Optional(Type.String({ maxLength: 200 })),
  status: Type.Optional(Status),
  since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
};
const SearchField = { q: Type.Optional(SearchText) };
const EventQuery = Type.Object({ ...ListQuery, ...FilterFields, ...SearchField });
const CountQuery = Type.Object({ ...FilterFields, ...SearchField });
const ReplayBody = Type.Object({ ...FilterFields, ...SearchField }, { additionalProperties: false });

type Filters = { source_id?: string; type?: string; status?: EventStatus; since?: string; until?: string; q?: string };
const toFilter = (q: Filters) => ({
  sourceId: q.source_id,
  type: q.type,
  status: q.status,
  since: parseInstant('since', q.since),
  until: parseInstant('until', q.until),
  terms: parseSearch(q.q),
});

/** Counting stops here: a count of millions of matches would cost more than it tells. */
const COUNT_CAP = 10_000;

export const eventRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'List normalized events with their delivery status',
        querystring: EventQuery,
        response: { 200: Type.Object({ data: Type.Array(EventView), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const page = await listEvents(deps.db, request.tenantId, { limit: q.limit ?? 20, cursor: q.cursor, ...toFilter(q) });
      const data = await withStatus(deps.db, page.data);
      return sendJson(reply, `{"data":[${data.join(',')}],"next_cursor":${JSON.stringify(page.next_cursor)}}`);
    },
  );

  app.get(
    '/v1/events/count',
    {
      schema: {
        tags: ['events'],
        summary:
          'How many events the filters and search match, counted up to a limit (the exact count of deliveries a replay would redeliver is POST /v1/replays/preview)',
        querystring: CountQuery,
        response: {
          200: Type.Object({
            count: Type.Integer({ description: `Matching events, counted up to ${COUNT_CAP}` }),
            capped: Type.Boolean({ description: 'True when there are at least that many' }),
          }),
          400: ErrorBody,
        },
      },
    },
    async (request) => {
      const count = await countEvents(deps.db, request.tenantId, toFilter(request.query), COUNT_CAP);
      return { count, capped: count >= COUNT_CAP };
    },
  );

  app.post(
    '/v1/events/replay',
    {
      schema: {
        tags: ['events'],
        summary:
          'Redeliver the deliveries of every event the filter matches, as a replay job (GET /v1/replays/{id}); same webhook-id as the original',
        body: ReplayBody,
        response: {
          202: Type.Object({
            count: Type.Integer({ description: 'Deliveries to redeliver' }),
            id: Type.String({ description: 'The replay job' }),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { source_id, type, status, since, until, q } = request.body;
      const job = await startReplay(deps.db, request.tenantId, {
        source_id,
        types: type ? [type] : undefined,
        since,
        until,
        q,
        // An event's status stands for its deliveries': replay those in that state.
        ...(status && (status === 'no_destinations' ? { event_ids: [] } : { status: [...REPLAYED_DELIVERY_STATUSES[status]] })),
      });
      return reply.code(202).send({ count: job.total, id: job.id });
    },
  );

  app.post(
    '/v1/events/:id/retry',
    {
      schema: {
        tags: ['events'],
        summary: 'Attempt every delivery of this event again now',
        params: IdParams,
        response: { 202: Type.Object({ deliveries: Type.Integer() }), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const event = isId('event', id) ? await getEvent(deps.db, request.tenantId, id) : undefined;
      if (!event) throw notFound('event');
      const deliveries = await redeliverEvents(deps.db, request.tenantId, [event.id]);
      await enqueueAll(deps.queue, request.log, deliveries);
      return reply.code(202).send({ deliveries: deliveries.length });
    },
  );

  app.get(
    '/v1/events/:id',
    {
      schema: {
        tags: ['events'],
        summary: 'An event with its raw request and every delivery attempt',
        params: IdParams,
        response: { 200: EventDetail, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const event = isId('event', id) ? await getEvent(deps.db, request.tenantId, id) : undefined;
      if (!event) throw notFound('event');
      const raw = event.request_id ? await getRequest(deps.db, request.tenantId, event.request_id) : undefined;
      // The deliveries and their attempts from one snapshot: an attempt is recorded together
      // with its delivery's new state, and one committed between two plain reads would show
      // beside the delivery as it was before it (pending, no attempt made).
      const { deliveries, attempts } = await deps.db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (trx) => {
          const deliveries = await listDeliveriesForEvents(trx, [event.id]);
          const attempts = await listAttemptsForDeliveries(
            trx,
            deliveries.map((d) => d.id),
          );
          return { deliveries, attempts };
        });
      const detail = {
        status: eventStatus(deliveries),
        request: raw ? rawRequestView(raw) : null,
        deliveries: deliveries.map((d) => ({
          ...deliveryView(d),
          attempts: attempts
            .filter((a) => a.delivery_id === d.id)
            .map((a) => ({
              number: a.number,
              status_code: a.status_code,
              error: a.error,
              duration_ms: a.duration_ms,
              response_excerpt: a.response_excerpt,
              created_at: a.created_at.toISOString(),
            })),
        })),
      };
      return sendJson(reply, eventJson(event, detail));
    },
  );
};
