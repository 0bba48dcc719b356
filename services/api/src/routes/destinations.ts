import { isIP } from 'node:net';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId, newId, newSigningSecret, PRIVATE_DESTINATION_HINT, refusalReason, refuseAddress } from '@hookline/core';
import {
  type Destination,
  deleteDestination,
  getDestination,
  getSource,
  insertDestination,
  insertTestEvent,
  listDestinationDeliveries,
  listDestinations,
  type updateDestination,
} from '@hookline/db';
import { type ProviderEvent, renderEnvelope } from '@hookline/providers';
import { enqueueOrLeaveToSweeper } from '@hookline/queue';
import { Type } from '@sinclair/typebox';
import {
  ControlFields,
  ControlsView,
  controlChanges,
  DeliveryStatusSchema,
  DestinationDeliverySchema,
  destinationDeliveryView,
  requestedStatus,
  StatusField,
  statusChanges,
  updateWithStatus,
} from '../delivery-controls.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { FilterField, ruleColumns, TransformField } from '../routing-rules.ts';
import { ErrorBody, IdParams, ListOf, ListQuery, Nullable, Timestamp } from '../schemas.ts';
import { destinationView } from '../serializers.ts';

const EventTypePattern = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:*-]+$' });

export const DestinationSchema = Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  url: Type.String(),
  event_types: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: 'Exact types or globs like video.asset.*; null for every type',
  }),
  paused: Type.Boolean({ description: 'status is "paused" (kept for compatibility)' }),
  filter: FilterField,
  transform: TransformField,
  ...ControlsView,
  secret_rotation_expires_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const WithSecret = Type.Intersect([DestinationSchema, Type.Object({ signing_secret: Type.String() })]);

const CreateDestination = Type.Object(
  {
    source_id: Type.String({ maxLength: 64 }),
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    event_types: Type.Optional(Type.Union([Type.Array(EventTypePattern, { maxItems: 100 }), Type.Null()])),
    filter: Type.Optional(FilterField),
    transform: Type.Optional(TransformField),
    ...ControlFields,
  },
  { additionalProperties: false },
);

const UpdateDestination = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    event_types: Type.Optional(Type.Union([Type.Array(EventTypePattern, { maxItems: 100 }), Type.Null()])),
    filter: Type.Optional(FilterField),
    transform: Type.Optional(TransformField),
    paused: Type.Optional(Type.Boolean({ description: 'Pausing holds deliveries; resuming sends them (same as status)' })),
    ...StatusField,
    ...ControlFields,
    rotate_secret: Type.Optional(Type.Boolean({ description: 'Issue a new signing secret; deliveries carry both signatures for 24 h' })),
  },
  { additionalProperties: false },
);

/** How long a rotated-out signing secret still signs deliveries, as Standard Webhooks allows. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

/**
 * Refuses what can never be delivered to: non-http(s) URLs, credentials in the URL, cloud
 * metadata addresses, and, unless private destinations are allowed, loopback and private
 * hosts named literally. Names that resolve to such addresses are refused at delivery
 * time, when they resolve. A private refusal has its own code (`private_destination`) so
 * the web UI can show how to receive events locally.
 */
export function checkDestinationUrl(raw: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('url must be http or https');
  if (url.username || url.password) throw badRequest('url must not contain credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const refusal = isIP(host) ? refuseAddress(host, allowPrivate) : undefined;
  if (refusal === 'metadata') throw badRequest(`url points at ${refusalReason(refusal)}`);
  if (refusal || (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost')))) {
    throw new ApiError(400, 'private_destination', `url points at a private or loopback address: ${PRIVATE_DESTINATION_HINT}`);
  }
  return url.toString();
}

export const destinationRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  const find = async (tenantId: string, id: string): Promise<Destination> => {
    const destination = isId('destination', id) ? await getDestination(deps.db, tenantId, id) : undefined;
    if (!destination) throw notFound('destination');
    return destination;
  };
  const filter = (types: string[] | null | undefined) => (types && types.length > 0 ? JSON.stringify(types) : null);

  app.post(
    '/v1/destinations',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Add a destination to a source (answers its signing secret)',
        body: CreateDestination,
        response: { 201: WithSecret, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { source_id, url, event_types, ...controls } = request.body;
      const source = isId('source', source_id) ? await getSource(deps.db, request.tenantId, source_id) : undefined;
      if (!source) throw notFound('source');
      const rules = await ruleColumns(deps.transforms, request.body);
      const secret = newSigningSecret();
      const destination = await insertDestination(deps.db, {
        id: newId('destination'),
        tenant_id: request.tenantId,
        source_id: source.id,
        url: checkDestinationUrl(url, deps.allowPrivateDestinations),
        event_types: filter(event_types),
        ...rules,
        secret_sealed: deps.secrets.seal(secret),
        ...controlChanges(controls),
      });
      return reply.code(201).send({ ...destinationView(destination), signing_secret: secret });
    },
  );

  app.get(
    '/v1/destinations',
    {
      schema: {
        tags: ['destinations'],
        summary: 'List destinations',
        querystring: Type.Object({ ...ListQuery, source_id: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: ListOf(DestinationSchema) },
      },
    },
    async (request) => {
      const { limit = 20, cursor, source_id } = request.query;
      const page = await listDestinations(deps.db, request.tenantId, { limit, cursor, sourceId: source_id });
      return { data: page.data.map(destinationView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/v1/destinations/:id',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Read a destination',
        params: IdParams,
        response: { 200: DestinationSchema, 404: ErrorBody },
      },
    },
    async (request) => destinationView(await find(request.tenantId, request.params.id)),
  );

  app.get(
    '/v1/destinations/:id/secret',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Reveal the signing secret',
        params: IdParams,
        response: { 200: Type.Object({ signing_secret: Type.String() }), 404: ErrorBody },
      },
    },
    async (request) => ({ signing_secret: deps.secrets.open((await find(request.tenantId, request.params.id)).secret_sealed) }),
  );

  app.get(
    '/v1/destinations/:id/deliveries',
    {
      schema: {
        tags: ['destinations'],
        summary:
          "List a destination's deliveries, newest first (status=held: those kept while it is paused or disabled, or waiting for an earlier event of their object)",
        params: IdParams,
        querystring: Type.Object({ ...ListQuery, status: Type.Optional(DeliveryStatusSchema) }),
        response: { 200: ListOf(DestinationDeliverySchema), 404: ErrorBody },
      },
    },
    async (request) => {
      const destination = await find(request.tenantId, request.params.id);
      const { limit = 20, cursor, status } = request.query;
      const page = await listDestinationDeliveries(deps.db, request.tenantId, destination.id, { limit, cursor, status });
      return { data: page.data.map(destinationDeliveryView), next_cursor: page.next_cursor };
    },
  );

  app.patch(
    '/v1/destinations/:id',
    {
      schema: {
        tags: ['destinations'],
        summary:
          'Change the URL, event types, filter, transform or delivery controls, pause, resume or re-enable, or rotate the signing secret',
        params: IdParams,
        body: UpdateDestination,
        response: {
          200: Type.Intersect([DestinationSchema, Type.Object({ signing_secret: Type.Optional(Type.String()) })]),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const destination = await find(request.tenantId, request.params.id);
      const { url, event_types, paused, status, rotate_secret, ...rest } = request.body;
      const target = requestedStatus({ status, paused });
      const changes: Parameters<typeof updateDestination>[3] = {
        ...(await ruleColumns(deps.transforms, request.body)),
        ...controlChanges(rest),
        ...(target ? statusChanges(destination, target) : {}),
      };
      if (url !== undefined) changes.url = checkDestinationUrl(url, deps.allowPrivateDestinations);
      if (event_types !== undefined) changes.event_types = filter(event_types);
      let secret: string | undefined;
      if (rotate_secret) {
        secret = newSigningSecret();
        changes.secret_sealed = deps.secrets.seal(secret);
        changes.previous_secret_sealed = destination.secret_sealed;
        changes.previous_secret_expires_at = new Date(Date.now() + ROTATION_OVERLAP_MS);
      }
      const { updated } = await updateWithStatus(deps, request.log, request.tenantId, destination, changes);
      if (!updated) throw notFound('destination');
      return { ...destinationView(updated), ...(secret ? { signing_secret: secret } : {}) };
    },
  );

  app.post(
    '/v1/destinations/:id/test',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Send a test event (type hookline.test) to this destination only',
        params: IdParams,
        response: { 202: Type.Object({ event_id: Type.String() }), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const destination = await find(request.tenantId, request.params.id);
      const id = newId('event');
      const now = new Date();
      const event: ProviderEvent = {
        type: 'hookline.test',
        providerEventId: id,
        providerEventType: 'hookline.test',
        occurredAt: now.toISOString(),
        object: null,
        environment: null,
        dataJson: JSON.stringify({ message: 'A test event from Hookline. Answer 2xx to mark it delivered.' }),
      };
      const payload = renderEnvelope(event, { id, provider: 'hookline', sourceId: destination.source_id, receivedAt: now });
      const deliveryId = newId('delivery');
      await insertTestEvent(
        deps.db,
        {
          id,
          tenant_id: request.tenantId,
          source_id: destination.source_id,
          request_id: null,
          type: event.type,
          provider: 'hookline',
          provider_event_id: id,
          provider_event_type: event.type,
          occurred_at: now,
          received_at: now,
          payload,
        },
        { id: deliveryId, destination_id: destination.id, next_attempt_at: now },
      );
      deps.notifier.publish(request.tenantId);
      void enqueueOrLeaveToSweeper(deps.queue, [{ deliveryId, runAt: now }], request.log);
      return reply.code(202).send({ event_id: id });
    },
  );

  app.delete(
    '/v1/destinations/:id',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Delete a destination and its deliveries',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isId('destination', id) || !(await deleteDestination(deps.db, request.tenantId, id))) throw notFound('destination');
      return reply.code(204).send(null);
    },
  );
};
