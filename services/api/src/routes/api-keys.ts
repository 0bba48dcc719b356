import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId, newId } from '@hookline/core';
import { insertApiKey, listApiKeys, revokeApiKey } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { ErrorBody, IdParams, Nullable, Timestamp } from '../schemas.ts';
import { generateApiKey } from './signup.ts';

const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const apiKeyRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key (the key is shown only in this answer)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: { 201: Type.Intersect([ApiKeySchema, Type.Object({ key: Type.String() })]) },
      },
    },
    async (request, reply) => {
      const key = generateApiKey();
      const row = await insertApiKey(deps.db, {
        id: newId('apiKey'),
        tenant_id: request.tenantId,
        name: request.body.name,
        prefix: key.prefix,
        key_hash: key.hash,
      });
      return reply.code(201).send({
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        created_at: row.created_at.toISOString(),
        last_used_at: null,
        key: key.key,
      });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'List live API keys',
        response: { 200: Type.Object({ data: Type.Array(ApiKeySchema), next_cursor: Type.Null() }) },
      },
    },
    async (request) => {
      const keys = await listApiKeys(deps.db, request.tenantId);
      return {
        data: keys.map((k) => ({
          id: k.id,
          name: k.name,
          prefix: k.prefix,
          created_at: k.created_at.toISOString(),
          last_used_at: iso(k.last_used_at),
        })),
        next_cursor: null,
      };
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    { schema: { tags: ['api-keys'], summary: 'Revoke an API key', params: IdParams, response: { 204: Type.Null(), 404: ErrorBody } } },
    async (request, reply) => {
      const { id } = request.params;
      if (!isId('apiKey', id) || !(await revokeApiKey(deps.db, request.tenantId, id))) throw notFound('API key');
      return reply.code(204).send(null);
    },
  );
};
