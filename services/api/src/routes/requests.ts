import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RequestOutcome } from '@hookline/db';
import { listRateLimitedCounts, listRequests, storageStanding, tenantStoredBytes } from '@hookline/db';
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

export const RateLimitedView = Type.Object({
  source_id: Type.String(),
  minute: Timestamp,
  count: Type.Integer({ description: 'Requests to this source answered 429 in this minute' }),
});

export const UsageView = Type.Object({
  stored_bytes: Type.Integer({ description: 'Bytes stored: request bodies and headers, event payloads' }),
  budget_bytes: Type.Union([Type.Integer(), Type.Null()], { description: 'HOOKLINE_TENANT_STORAGE_BUDGET; null when there is none' }),
  near_budget: Type.Boolean({ description: 'At 80 % of the budget or more' }),
  over_budget: Type.Boolean({ description: 'At the budget or more: ingest answers 507 storage_budget_exceeded' }),
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

  app.get(
    '/v1/requests/rate-limited',
    {
      schema: {
        tags: ['requests'],
        summary: 'Ingest requests answered 429 (rate limited), counted per source and minute',
        description:
          'Rate-limited requests are not stored one by one (a flood would fill the disk): each is counted here. Newest minute first.',
        response: { 200: ListOf(RateLimitedView) },
        querystring: Type.Object({
          ...ListQuery,
          source_id: Type.Optional(Type.String({ maxLength: 64 })),
          since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
          until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
        }),
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listRateLimitedCounts(deps.db, request.tenantId, {
        limit: q.limit ?? 20,
        cursor: q.cursor,
        sourceId: q.source_id,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
      });
      return { data: page.data.map((r) => ({ ...r, minute: r.minute.toISOString() })), next_cursor: page.next_cursor };
    },
  );

  // What the request log and events hold against the storage budget.
  app.get(
    '/v1/usage',
    {
      schema: {
        tags: ['requests'],
        summary: 'Bytes this account stores, and its storage budget',
        response: { 200: UsageView },
      },
    },
    async (request) => {
      const stored = await tenantStoredBytes(deps.db, request.tenantId);
      const budget = deps.storageBudgetBytes ?? 0;
      const standing = storageStanding(stored, budget);
      return {
        stored_bytes: stored,
        budget_bytes: budget > 0 ? budget : null,
        near_budget: standing !== 'ok',
        over_budget: standing === 'over',
      };
    },
  );
};
