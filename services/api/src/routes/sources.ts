import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId, newId, randomToken } from '@hookline/core';
import { getSource, insertSource, listSources } from '@hookline/db';
import { PROVIDERS } from '@hookline/providers';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { IdParams, ListOf, ListQuery, Timestamp } from '../schemas.ts';
import { sourceView } from '../serializers.ts';

export const SourceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  provider: Type.String(),
  ingest_url: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const CreateSource = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    provider: Type.String({ minLength: 1, maxLength: 50 }),
    // `secret`, plus whatever options the provider takes (Provider.parseSettings).
    verification: Type.Object(
      { secret: Type.String({ minLength: 1, maxLength: 1000 }) },
      { additionalProperties: true, maxProperties: 20 },
    ),
  },
  { additionalProperties: false },
);

export const sourceRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post('/v1/sources', { schema: { body: CreateSource, response: { 201: SourceSchema } } }, async (request, reply) => {
    const { name, provider, verification } = request.body;
    const impl = PROVIDERS.get(provider);
    if (!impl) {
      throw new ApiError(400, 'unknown_provider', `unknown provider "${provider}"; use one of ${[...PROVIDERS.keys()].join(', ')}`);
    }
    const { secret, ...options } = verification;
    let settings: Record<string, unknown> = {};
    if (impl.parseSettings) {
      try {
        settings = impl.parseSettings(options);
      } catch (err) {
        throw new ApiError(400, 'invalid_verification', (err as Error).message);
      }
    } else if (Object.keys(options).length > 0) {
      throw new ApiError(400, 'invalid_verification', `${impl.displayName} sources take only verification.secret`);
    }
    const source = await insertSource(deps.db, {
      id: newId('source'),
      tenant_id: request.tenantId,
      name,
      provider,
      ingest_key: randomToken(24),
      secret_sealed: deps.secrets.seal(secret),
      settings: JSON.stringify(settings),
    });
    return reply.code(201).send(sourceView(source, deps.publicUrl));
  });

  app.get('/v1/sources', { schema: { querystring: Type.Object(ListQuery), response: { 200: ListOf(SourceSchema) } } }, async (request) => {
    const page = await listSources(deps.db, request.tenantId, { limit: request.query.limit ?? 20, cursor: request.query.cursor });
    return { data: page.data.map((s) => sourceView(s, deps.publicUrl)), next_cursor: page.next_cursor };
  });

  app.get('/v1/sources/:id', { schema: { params: IdParams, response: { 200: SourceSchema } } }, async (request) => {
    const { id } = request.params;
    const source = isId('source', id) ? await getSource(deps.db, request.tenantId, id) : undefined;
    if (!source) throw notFound('source');
    return sourceView(source, deps.publicUrl);
  });
};
