import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RequestOutcome } from '@hookline/db';
import { listRequests } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { ListOf, ListQuery, Timestamp } from '../schemas.ts';

export const RequestView = Type.Object({
  id: Type.String(),
  source_id: Type.Union([Type.String(), Type.Null()]),
  received_at: Timestamp,
  method: Type.String(),
  headers: Type.Record(Type.String(), Type.String()),
  body_bytes: Type.Integer(),
  remote_ip: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String({ description: 'accepted, duplicate, probe or rejected' }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'verification_failed, unknown_source, too_large, unparsable…' }),
  detail: Type.Union([Type.String(), Type.Null()]),
  status_code: Type.Integer(),
  event_id: Type.Union([Type.String(), Type.Null()]),
});

const Outcome = Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('probe'), Type.Literal('rejected')]);

export const requestRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'The request log: every ingest request with its outcome and, when rejected, the reason',
        response: { 200: ListOf(RequestView) },
        querystring: Type.Object({
          ...ListQuery,
          source_id: Type.Optional(Type.String({ maxLength: 64 })),
          outcome: Type.Optional(Outcome),
          since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
          until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
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
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
      });
      return {
        data: page.data.map((r) => ({ ...r, received_at: r.received_at.toISOString() })),
        next_cursor: page.next_cursor,
      };
    },
  );
};
