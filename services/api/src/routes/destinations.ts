import { isIP } from 'node:net';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isBlockedAddress, isId, newId, newSigningSecret } from '@hookline/core';
import { getDestination, getSource, insertDestination, listDestinations } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { IdParams, ListOf, ListQuery, Timestamp } from '../schemas.ts';
import { destinationView } from '../serializers.ts';

const EventTypePattern = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:*-]+$' });

export const DestinationSchema = Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  url: Type.String(),
  event_types: Type.Union([Type.Array(Type.String()), Type.Null()]),
  paused: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const CreatedDestination = Type.Intersect([DestinationSchema, Type.Object({ signing_secret: Type.String() })]);

const CreateDestination = Type.Object(
  {
    source_id: Type.String({ maxLength: 64 }),
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    event_types: Type.Optional(Type.Union([Type.Array(EventTypePattern, { maxItems: 100 }), Type.Null()])),
  },
  { additionalProperties: false },
);

/**
 * Refuses what can never be delivered to: non-http(s) URLs, credentials in the URL, and,
 * unless private destinations are allowed, loopback and private hosts named literally.
 * Names that resolve to private addresses are refused at delivery time, when they resolve.
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
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isBlockedAddress(host)))) {
    throw badRequest('url points at a private or loopback address');
  }
  return url.toString();
}

export const destinationRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post('/v1/destinations', { schema: { body: CreateDestination, response: { 201: CreatedDestination } } }, async (request, reply) => {
    const { source_id, url, event_types } = request.body;
    const source = isId('source', source_id) ? await getSource(deps.db, request.tenantId, source_id) : undefined;
    if (!source) throw notFound('source');
    const secret = newSigningSecret();
    const destination = await insertDestination(deps.db, {
      id: newId('destination'),
      tenant_id: request.tenantId,
      source_id: source.id,
      url: checkDestinationUrl(url, deps.allowPrivateDestinations),
      event_types: event_types && event_types.length > 0 ? JSON.stringify(event_types) : null,
      secret_sealed: deps.secrets.seal(secret),
    });
    return reply.code(201).send({ ...destinationView(destination), signing_secret: secret });
  });

  app.get(
    '/v1/destinations',
    {
      schema: {
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

  app.get('/v1/destinations/:id', { schema: { params: IdParams, response: { 200: DestinationSchema } } }, async (request) => {
    const { id } = request.params;
    const destination = isId('destination', id) ? await getDestination(deps.db, request.tenantId, id) : undefined;
    if (!destination) throw notFound('destination');
    return destinationView(destination);
  });
};
