import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId, newId } from '@hookline/core';
import { getDestination, getSource, listEventsToTry, replayEventsToDestination } from '@hookline/db';
import { enqueueOrLeaveToSweeper } from '@hookline/queue';
import { filterView, type Matcher } from '@hookline/rules';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { checkFilter, checkTransform, FilterField, TransformField } from '../routing-rules.ts';
import { ErrorBody, Timestamp } from '../schemas.ts';

/** Events tried at most per call; and the time one call may spend running transforms. */
const MAX_TRY = 100;
const TRY_BUDGET_MS = 5_000;

const TryRule = Type.Object(
  {
    source_id: Type.String({ maxLength: 64 }),
    filter: Type.Optional(FilterField),
    transform: Type.Optional(TransformField),
    /** Extends the contract: the transform's context.destination_id, as it would run for this destination. */
    destination_id: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TRY, default: 20 })),
    since: Type.Optional(Timestamp),
    until: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

const Tried = Type.Object({
  event_id: Type.String(),
  matched: Type.Boolean({ description: 'Would be sent: the filter matches and the transform did not return null or fail' }),
  output: Type.Optional(
    Type.Object(
      { body: Type.Unknown(), headers: Type.Record(Type.String(), Type.String()) },
      { description: 'What would be sent: the body, and the headers the transform adds' },
    ),
  ),
  skipped_by: Type.Optional(Type.Union([Type.Literal('filter'), Type.Literal('transform')])),
  error: Type.Optional(Type.String()),
});

/**
 * POST /v1/rules/try (CONTRACT §8): a filter and/or transform run over a source's stored
 * events, newest first, without sending or storing anything: what would match and what
 * would be sent. Bounded: at most MAX_TRY events, and transforms stop after TRY_BUDGET_MS.
 */
export const ruleRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.post(
    '/v1/rules/try',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Try a filter and/or transform on stored events of a source, newest first (nothing is sent)',
        body: TryRule,
        response: { 200: Type.Object({ data: Type.Array(Tried) }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { source_id, filter, transform, destination_id, limit = 20, since, until } = request.body;
      const matches: Matcher | null = filter ? checkFilter(filter) : null;
      const source = transform?.trim() ? transform : null;
      if (source !== null) await checkTransform(deps.transforms, source);
      if (since && until && Date.parse(since) >= Date.parse(until)) throw badRequest('since must be before until');
      const found = isId('source', source_id) ? await getSource(deps.db, request.tenantId, source_id) : undefined;
      if (!found) throw notFound('source');
      const events = await listEventsToTry(deps.db, request.tenantId, found.id, {
        limit,
        since: since ? new Date(since) : undefined,
        until: until ? new Date(until) : undefined,
      });

      const deadline = Date.now() + TRY_BUDGET_MS;
      const data: (typeof Tried.static)[] = [];
      for (const event of events) {
        const headers = (typeof event.headers === 'string' ? JSON.parse(event.headers) : event.headers) as Record<string, string> | null;
        if (matches && !matches(filterView(event.payload, headers))) {
          data.push({ event_id: event.id, matched: false, skipped_by: 'filter' });
          continue;
        }
        const envelope = JSON.parse(event.payload) as unknown;
        if (source === null) {
          data.push({ event_id: event.id, matched: true, output: { body: envelope, headers: {} } });
          continue;
        }
        if (Date.now() > deadline) {
          data.push({ event_id: event.id, matched: false, error: `not tried: this call spent its ${TRY_BUDGET_MS} ms on transforms` });
          continue;
        }
        const outcome = await deps.transforms.run(source, envelope, {
          source_id: found.id,
          destination_id: destination_id ?? null,
          attempt: 1,
        });
        if (outcome.kind === 'send') {
          data.push({ event_id: event.id, matched: true, output: { body: JSON.parse(outcome.body), headers: outcome.headers } });
        } else if (outcome.kind === 'skip') data.push({ event_id: event.id, matched: false, skipped_by: 'transform' });
        else data.push({ event_id: event.id, matched: false, error: outcome.error });
      }
      return { data };
    },
  );

  app.post(
    '/v1/rules/replay',
    {
      schema: {
        tags: ['destinations'],
        summary:
          'Send exactly these events to this destination now (after trying rules on them): redelivered, or delivered for the first time where the filter had kept them out',
        body: Type.Object(
          {
            destination_id: Type.String({ maxLength: 64 }),
            event_ids: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: MAX_TRY, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ count: Type.Integer() }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { destination_id, event_ids } = request.body;
      const destination = isId('destination', destination_id) ? await getDestination(deps.db, request.tenantId, destination_id) : undefined;
      if (!destination) throw notFound('destination');
      const due = await replayEventsToDestination(
        deps.db,
        request.tenantId,
        destination.id,
        event_ids.map((event_id) => ({ event_id, new_delivery_id: newId('delivery') })),
      );
      void enqueueOrLeaveToSweeper(
        deps.queue,
        due.map((d) => ({ deliveryId: d.id, runAt: d.next_attempt_at })),
        request.log,
      );
      return reply.code(202).send({ count: due.length });
    },
  );
};
