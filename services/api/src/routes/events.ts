import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId } from '@hookline/core';
import { type Db, type EventRow, getEvent, getRequest, listAttemptsForDeliveries, listDeliveriesForEvents, listEvents } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { IdParams, ListQuery, Timestamp } from '../schemas.ts';

type DeliveryRow = Awaited<ReturnType<typeof listDeliveriesForEvents>>[number];

/** One word for an event's deliveries, for lists and filters. */
function eventStatus(deliveries: DeliveryRow[]): 'delivered' | 'pending' | 'failed' | 'no_destinations' {
  if (deliveries.length === 0) return 'no_destinations';
  if (deliveries.some((d) => d.status === 'failed')) return 'failed';
  if (deliveries.some((d) => d.status === 'pending')) return 'pending';
  return 'delivered';
}

function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    destination_id: d.destination_id,
    status: d.status,
    attempt_count: d.attempt_count,
    next_attempt_at: d.next_attempt_at?.toISOString() ?? null,
    last_attempt_at: d.last_attempt_at?.toISOString() ?? null,
  };
}

async function withStatus(db: Db, rows: Pick<EventRow, 'id' | 'payload'>[]) {
  const deliveries = await listDeliveriesForEvents(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({
    ...(JSON.parse(row.payload) as Record<string, unknown>),
    status: eventStatus(deliveries.filter((d) => d.event_id === row.id)),
  }));
}

function parseInstant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badRequest(`${name} must be an ISO-8601 date-time`);
  return date;
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
    body_encoding: text !== null || body === null ? 'utf8' : 'base64',
    remote_ip: request.remote_ip,
  };
}

const EventQuery = Type.Object({
  ...ListQuery,
  source_id: Type.Optional(Type.String({ maxLength: 64 })),
  type: Type.Optional(Type.String({ maxLength: 200 })),
  since: Type.Optional(Type.String({ maxLength: 40 })),
  until: Type.Optional(Type.String({ maxLength: 40 })),
});

export const AttemptSchema = Type.Object({
  number: Type.Integer(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Integer(),
  response_excerpt: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
});

export const eventRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.get('/v1/events', { schema: { querystring: EventQuery } }, async (request) => {
    const q = request.query;
    const page = await listEvents(deps.db, request.tenantId, {
      limit: q.limit ?? 20,
      cursor: q.cursor,
      sourceId: q.source_id,
      type: q.type,
      since: parseInstant('since', q.since),
      until: parseInstant('until', q.until),
    });
    return { data: await withStatus(deps.db, page.data), next_cursor: page.next_cursor };
  });

  app.get('/v1/events/:id', { schema: { params: IdParams } }, async (request) => {
    const { id } = request.params;
    const event = isId('event', id) ? await getEvent(deps.db, request.tenantId, id) : undefined;
    if (!event) throw notFound('event');
    const [deliveries, raw] = await Promise.all([
      listDeliveriesForEvents(deps.db, [event.id]),
      getRequest(deps.db, request.tenantId, event.request_id),
    ]);
    const attempts = await listAttemptsForDeliveries(
      deps.db,
      deliveries.map((d) => d.id),
    );
    return {
      ...(JSON.parse(event.payload) as Record<string, unknown>),
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
  });
};
