import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { countDeadLettersByDestination, listDeadLetters } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { checkSelection } from '../replays.ts';
import { ErrorBody, ListOf, ListQuery, Nullable, Timestamp } from '../schemas.ts';

/**
 * Dead letters: deliveries that spent their retry schedule (status `failed`). Listed and
 * counted per destination here; replayed in bulk by POST /v1/replays with
 * `{filter: {status: ["failed"], …the same fields}}`.
 */

const Filter = {
  destination_id: Type.Optional(Type.String({ maxLength: 64 })),
  source_id: Type.Optional(Type.String({ maxLength: 64 })),
  type: Type.Optional(Type.String({ maxLength: 200, description: 'An event type; a trailing `*` matches by prefix' })),
  since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Events received at or after this instant' })),
  until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Events received before this instant' })),
};

const DeadLetterView = Type.Object({
  id: Type.String({ description: 'The delivery' }),
  event_id: Type.String(),
  destination_id: Type.String(),
  source_id: Type.String(),
  type: Type.String(),
  received_at: Timestamp,
  attempt_count: Type.Integer(),
  last_attempt_at: Nullable(Timestamp),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
});

type FilterQuery = { destination_id?: string; source_id?: string; type?: string; since?: string; until?: string };

export const deadLetterRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  /** The query checked as a replay selection would be (404 for another tenant's source or destination). */
  const filterOf = async (tenantId: string, q: FilterQuery) => {
    const s = await checkSelection(deps.db, tenantId, {
      destination_id: q.destination_id,
      source_id: q.source_id,
      since: q.since,
      until: q.until,
    });
    return {
      destinationId: s.destination_id,
      sourceId: s.source_id,
      type: q.type,
      since: s.since ? new Date(s.since) : undefined,
      until: s.until ? new Date(s.until) : undefined,
    };
  };

  app.get(
    '/v1/dead-letters',
    {
      schema: {
        tags: ['dead-letters'],
        summary: 'Deliveries that spent their retry schedule, newest first, with their last attempt',
        querystring: Type.Object({ ...ListQuery, ...Filter }),
        response: { 200: ListOf(DeadLetterView), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listDeadLetters(deps.db, request.tenantId, {
        ...(await filterOf(request.tenantId, q)),
        limit: q.limit ?? 20,
        cursor: q.cursor,
      });
      return {
        data: page.data.map((d) => ({
          ...d,
          received_at: new Date(d.received_at).toISOString(),
          last_attempt_at: d.last_attempt_at ? new Date(d.last_attempt_at).toISOString() : null,
        })),
        next_cursor: page.next_cursor,
      };
    },
  );

  app.get(
    '/v1/dead-letters/counts',
    {
      schema: {
        tags: ['dead-letters'],
        summary: 'Dead letters counted per destination, most first',
        querystring: Type.Object(Filter),
        response: {
          200: Type.Object({
            data: Type.Array(Type.Object({ destination_id: Type.String(), url: Type.String(), count: Type.Integer(), newest: Timestamp })),
            total: Type.Integer(),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const rows = await countDeadLettersByDestination(deps.db, request.tenantId, await filterOf(request.tenantId, request.query));
      return {
        data: rows.map((r) => ({ ...r, newest: new Date(r.newest).toISOString() })),
        total: rows.reduce((sum, r) => sum + r.count, 0),
      };
    },
  );
};
