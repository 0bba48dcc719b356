import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId } from '@hookline/core';
import { cancelReplayJob, getDestination, getReplayJob, listReplayJobs } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import { statusChanges, updateWithStatus } from '../delivery-controls.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import {
  DeliveryStatusName,
  previewReplay,
  ReplayFilter,
  ReplayJobView,
  refuseUnknownFilterFields,
  replayJobView,
  startReplay,
} from '../replays.ts';
import { ErrorBody, IdParams, ListOf, ListQuery } from '../schemas.ts';

/** What a destination replay redelivers when no status is given: what waits on it or gave up. */
const HELD_OR_FAILED = ['held', 'failed'];

export const replayRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  const findJob = async (tenantId: string, id: string) => {
    const job = isId('replay', id) ? await getReplayJob(deps.db, tenantId, id) : undefined;
    if (!job) throw notFound('replay');
    return job;
  };

  app.post(
    '/v1/replays',
    {
      preValidation: refuseUnknownFilterFields,
      schema: {
        tags: ['replays'],
        summary: 'Start a bulk replay of the deliveries a filter picks (an asynchronous job; same webhook-id as the original)',
        body: Type.Object({ filter: ReplayFilter }, { additionalProperties: false }),
        response: { 202: ReplayJobView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const job = await startReplay(deps.db, request.tenantId, request.body.filter);
      return reply.code(202).send(replayJobView(job));
    },
  );

  app.post(
    '/v1/replays/preview',
    {
      preValidation: refuseUnknownFilterFields,
      schema: {
        tags: ['replays'],
        summary: 'Count the deliveries a replay of this filter would redeliver, without replaying',
        body: Type.Object({ filter: ReplayFilter }, { additionalProperties: false }),
        response: { 200: Type.Object({ total: Type.Integer() }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => ({ total: await previewReplay(deps.db, request.tenantId, request.body.filter) }),
  );

  app.get(
    '/v1/replays',
    {
      schema: {
        tags: ['replays'],
        summary: 'List replay jobs with their progress',
        querystring: Type.Object(ListQuery),
        response: { 200: ListOf(ReplayJobView) },
      },
    },
    async (request) => {
      const page = await listReplayJobs(deps.db, request.tenantId, { limit: request.query.limit ?? 20, cursor: request.query.cursor });
      return { data: page.data.map(replayJobView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/v1/replays/:id',
    {
      schema: {
        tags: ['replays'],
        summary: "A replay job's progress",
        params: IdParams,
        response: { 200: ReplayJobView, 404: ErrorBody },
      },
    },
    async (request) => replayJobView(await findJob(request.tenantId, request.params.id)),
  );

  app.post(
    '/v1/replays/:id/cancel',
    {
      schema: {
        tags: ['replays'],
        summary: 'Stop a replay job between chunks (what it redelivered stays redelivered)',
        params: IdParams,
        response: { 200: ReplayJobView, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const job = await findJob(request.tenantId, request.params.id);
      const cancelled = await cancelReplayJob(deps.db, request.tenantId, job.id);
      if (!cancelled)
        throw new ApiError(409, 'replay_finished', `the replay already ${job.status === 'succeeded' ? 'finished' : job.status}`);
      return replayJobView(cancelled);
    },
  );

  app.post(
    '/v1/destinations/:id/replay',
    {
      schema: {
        tags: ['destinations'],
        summary:
          "Redeliver this destination's held and failed deliveries (or those of the given status); a disabled destination is re-enabled first (its held deliveries are due now, counted in `count`) and, without `since`, replays everything since it was disabled",
        params: IdParams,
        body: Type.Object(
          {
            since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
            until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
            status: Type.Optional(Type.Union([DeliveryStatusName, Type.Array(DeliveryStatusName, { minItems: 1, maxItems: 5 })])),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ count: Type.Integer(), id: Type.String({ description: 'The replay job' }) }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const destination = isId('destination', id) ? await getDestination(deps.db, request.tenantId, id) : undefined;
      if (!destination) throw notFound('destination');
      const { since, until, status } = request.body ?? {};
      // Replaying a disabled destination says it is back: it is re-enabled first, as by PATCH
      // status "active" (every held delivery due now, counted here); the job's deliveries would
      // otherwise only be held again.
      const { released } =
        destination.status === 'disabled'
          ? await updateWithStatus(deps, request.log, request.tenantId, destination, statusChanges(destination, 'active'))
          : { released: 0 };
      const job = await startReplay(deps.db, request.tenantId, {
        destination_id: destination.id,
        status: status === undefined ? HELD_OR_FAILED : Array.isArray(status) ? status : [status],
        // "Everything since it was disabled": disabled_at is set by the circuit breaker while it is.
        since: since ?? destination.disabled_at?.toISOString(),
        until,
      });
      return reply.code(202).send({ count: released + job.total, id: job.id });
    },
  );
};
