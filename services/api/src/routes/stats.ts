import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isId } from '@hookline/core';
import { BUCKET_MS, getDestination, getSource, readBacklog, readStats, type StatsBucket } from '@hookline/db';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { parseInstant } from '../replays.ts';
import { ErrorBody, Nullable, Timestamp } from '../schemas.ts';

/** One answer holds at most this many buckets (a day of minutes, two months of hours). */
const MAX_POINTS = 1500;
/** The range when `since` is not given: the last this many buckets. */
const DEFAULT_POINTS: Record<StatsBucket, number> = { minute: 60, hour: 24, day: 30 };

const Count = Type.Integer({ minimum: 0 });
const Latency = Nullable(Type.Integer({ minimum: 0 }));
export const StatsPointSchema = Type.Object({
  at: Timestamp,
  requests: Type.Object({
    accepted: Count,
    duplicate: Count,
    rejected: Count,
    rate_limited: Count,
    rejected_by_reason: Type.Record(Type.String(), Count, { description: 'Rejected requests by reason (verification_failed, too_large…)' }),
  }),
  events: Count,
  events_by_type: Type.Record(Type.String(), Count),
  deliveries: Type.Object(
    { succeeded: Count, failed: Count, retrying: Count },
    { description: 'Delivery attempts in the bucket by where they left their delivery: succeeded, failed for good, or to be retried' },
  ),
  latency_ms: Type.Object(
    { p50: Latency, p95: Latency, p99: Latency },
    { description: 'Attempt duration percentiles from a histogram (exact to within its bucket); null without attempts' },
  ),
});

const StatsSchema = Type.Object({
  bucket: Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')]),
  since: Timestamp,
  until: Timestamp,
  series: Type.Array(StatsPointSchema),
  backlog: Type.Object(
    {
      pending: Count,
      oldest_pending_age_seconds: Nullable(Count),
    },
    { description: 'Deliveries waiting now (not a series)' },
  ),
});

const StatsQuerySchema = Type.Object({
  source_id: Type.Optional(Type.String({ maxLength: 64 })),
  destination_id: Type.Optional(Type.String({ maxLength: 64 })),
  since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  bucket: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { default: 'hour' })),
});

/** The start of the UTC bucket holding `date`. */
const floorTo = (date: Date, bucket: StatsBucket) => new Date(Math.floor(date.getTime() / BUCKET_MS[bucket]) * BUCKET_MS[bucket]);

export const statsRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Time series of requests, events, deliveries and attempt latency, per source or destination',
        description:
          'Served from per-minute rollups kept as data arrives. Buckets are UTC and aligned; `since` is rounded down and `until` up to a bucket. ' +
          "With `destination_id`, requests and events are those of the destination's source, deliveries and latency the destination's own.",
        querystring: StatsQuerySchema,
        response: { 200: StatsSchema, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const tenantId = request.tenantId;
      const bucket = q.bucket ?? 'hour';
      const step = BUCKET_MS[bucket];
      const askedUntil = parseInstant('until', q.until) ?? new Date();
      const askedSince = parseInstant('since', q.since);
      if (askedSince && askedSince >= askedUntil) throw badRequest('since must be before until');
      const until = new Date(Math.ceil(askedUntil.getTime() / step) * step);
      const since = floorTo(askedSince ?? new Date(until.getTime() - DEFAULT_POINTS[bucket] * step), bucket);
      if ((until.getTime() - since.getTime()) / step > MAX_POINTS) {
        throw badRequest(`at most ${MAX_POINTS} ${bucket} buckets in one answer: narrow the range or use a larger bucket`);
      }

      let sourceId = q.source_id;
      if (sourceId && !(isId('source', sourceId) && (await getSource(deps.db, tenantId, sourceId)))) throw notFound('source');
      const destinationId = q.destination_id;
      if (destinationId) {
        const destination = isId('destination', destinationId) ? await getDestination(deps.db, tenantId, destinationId) : undefined;
        if (!destination) throw notFound('destination');
        sourceId ??= destination.source_id;
      }

      const [series, backlog] = await Promise.all([
        readStats(deps.db, tenantId, { sourceId, destinationId, since, until, bucket }),
        readBacklog(deps.db, tenantId, { sourceId, destinationId }),
      ]);
      return {
        bucket,
        since: since.toISOString(),
        until: until.toISOString(),
        series: series.map((p) => ({ ...p, at: p.at.toISOString() })),
        backlog,
      };
    },
  );
};
