import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RequestOutcome } from '@hookline/db';
import { listRequests } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ListQuery } from '../schemas.ts';

const Outcome = Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('probe'), Type.Literal('rejected')]);

export const requestRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/requests',
    {
      schema: {
        querystring: Type.Object({
          ...ListQuery,
          source_id: Type.Optional(Type.String({ maxLength: 64 })),
          outcome: Type.Optional(Outcome),
        }),
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listRequests(deps.db, request.tenantId, {
        limit: q.limit ?? 20,
        cursor: q.cursor,
        sourceId: q.source_id,
        outcome: q.outcome as RequestOutcome | undefined,
      });
      return {
        data: page.data.map((r) => ({ ...r, received_at: r.received_at.toISOString() })),
        next_cursor: page.next_cursor,
      };
    },
  );
};
