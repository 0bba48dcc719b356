import { EventQueryError, isId, parseEventQuery } from '@hookline/core';
import {
  countReplaySelection,
  createReplayJob,
  type Db,
  getDestination,
  getSource,
  type ReplayJob,
  type ReplaySelection,
} from '@hookline/db';
// Hint, Kind, OptionalKind, ReadonlyKind: named so the declaration build (npm run build) can write these schemas' types.
import { type Hint, type Kind, type OptionalKind, type ReadonlyKind, type Static, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError, badRequest, notFound } from './errors.ts';
import { Nullable, Timestamp } from './schemas.ts';

/**
 * The API side of bulk replay: every route that redelivers many deliveries (POST /v1/replays,
 * /v1/events/replay, /v1/destinations/{id}/replay, dead letters, and later "replay exactly
 * these" and a search's `q`) checks its selection here and stores a job with startReplay; a
 * worker's ReplayRunner does the redelivering.
 *
 * For a new caller: `startReplay(db, tenantId, selection)` → the job (answer `replayJobView`
 * of it, or `{count: job.total, id: job.id}`); `previewReplay(db, tenantId, selection)` → the
 * count first. A new kind of filter (as `q` was) is a field on
 * ReplaySelection (packages/db tables.ts) and ReplayFilter below, checked in checkSelection
 * and turned into SQL over `deliveries d join events e` in `selects` (packages/db
 * replay-jobs.ts); the chunking, cursor, lease, pacing and cancel need nothing more.
 */

export const DeliveryStatusName = Type.Union(
  [Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('held'), Type.Literal('skipped')],
  { description: 'A delivery status' },
);

const Instant = Type.String({ format: 'date-time', maxLength: 40 });

/** The search of `GET /v1/events?q=` (CONTRACT §9), also a replay's selection. */
export const SearchText = Type.String({
  maxLength: 500,
  description:
    'Search terms, all of which must match: `path:value` on the normalized envelope (`data.passthrough:abc`, `object.id:xyz`, `type:video.asset.ready`; quote values with spaces) or an event id / provider event id',
});

/** `q` as terms; a malformed query is a 400 naming what is wrong. Blank: no search. */
export function parseSearch(q: string | undefined) {
  if (!q?.trim()) return undefined;
  try {
    return parseEventQuery(q);
  } catch (err) {
    if (err instanceof EventQueryError) throw new ApiError(400, 'invalid_query', err.message);
    throw err;
  }
}

/** The selection of POST /v1/replays (stored on the job as `filter`). */
export const ReplayFilter = Type.Object(
  {
    destination_id: Type.Optional(Type.String({ maxLength: 64 })),
    source_id: Type.Optional(Type.String({ maxLength: 64 })),
    types: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 100,
        description: 'Event types; a trailing `*` matches by prefix (`video.asset.*`)',
      }),
    ),
    status: Type.Optional(
      Type.Array(DeliveryStatusName, {
        maxItems: 5,
        description: 'Delivery statuses to replay; unset: every delivery except held ones',
      }),
    ),
    since: Type.Optional({ ...Instant, description: 'Events received at or after this instant' }),
    until: Type.Optional({ ...Instant, description: 'Events received before this instant' }),
    event_ids: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000, description: 'Exactly these events (their deliveries)' }),
    ),
    q: Type.Optional(SearchText),
  },
  { additionalProperties: false, description: 'Which deliveries to redeliver; every given field must match' },
);

/**
 * Fastify's validator drops properties a schema does not name; a misspelt filter field would
 * then widen a replay to everything. So the body is checked before validation.
 */
export async function refuseUnknownFilterFields(request: FastifyRequest): Promise<void> {
  const filter = (request.body as { filter?: unknown } | null)?.filter;
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) return;
  const unknown = Object.keys(filter).find((key) => !(key in ReplayFilter.properties));
  if (unknown !== undefined) throw badRequest(`filter: unknown field ${JSON.stringify(unknown.slice(0, 64))}`);
}

export const ReplayJobView = Type.Object({
  id: Type.String(),
  status: Type.Union([
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('succeeded'),
    Type.Literal('cancelled'),
    Type.Literal('failed'),
  ]),
  filter: ReplayFilter,
  total: Type.Integer({ description: 'Deliveries the selection picked when the job was made' }),
  done: Type.Integer({ description: 'Deliveries redelivered so far' }),
  error: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
  finished_at: Nullable(Timestamp),
});

export function replayJobView(job: ReplayJob) {
  return {
    id: job.id,
    status: job.status,
    // Stored by startReplay from a checked ReplayFilter.
    filter: job.filter as Static<typeof ReplayFilter>,
    total: job.total,
    done: job.done,
    error: job.error,
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
    finished_at: job.finished_at?.toISOString() ?? null,
  };
}

export function parseInstant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badRequest(`${name} must be an ISO-8601 date-time`);
  return date;
}

/** A selection that only names the tenant's own things, with its times in one form; 400 or 404 otherwise. */
export async function checkSelection(db: Db, tenantId: string, selection: ReplaySelection): Promise<ReplaySelection> {
  const { source_id, destination_id, event_ids } = selection;
  if (source_id !== undefined && !(isId('source', source_id) && (await getSource(db, tenantId, source_id)))) throw notFound('source');
  if (destination_id !== undefined && !(isId('destination', destination_id) && (await getDestination(db, tenantId, destination_id)))) {
    throw notFound('destination');
  }
  const bad = event_ids?.find((id) => !isId('event', id));
  if (bad !== undefined) throw badRequest(`event_ids: ${JSON.stringify(bad.slice(0, 64))} is not an event id`);
  const since = parseInstant('since', selection.since);
  const until = parseInstant('until', selection.until);
  if (since && until && since >= until) throw badRequest('since must be before until');
  const q = selection.q?.trim() || undefined;
  // The runner resolves it chunk by chunk; parsed now (400) so that no job holds a query that fails.
  parseSearch(q);
  return {
    ...selection,
    q,
    since: since?.toISOString(),
    until: until?.toISOString(),
    // Stored once per job: the same status named twice would only lengthen it.
    status: selection.status && [...new Set(selection.status)],
  };
}

/** Checks a selection and stores a replay job for it: 404 for a source or destination of another tenant. */
export async function startReplay(db: Db, tenantId: string, selection: ReplaySelection): Promise<ReplayJob> {
  return createReplayJob(db, tenantId, await checkSelection(db, tenantId, selection));
}

/** How many deliveries a replay of this selection would redeliver now (the preview count). */
export async function previewReplay(db: Db, tenantId: string, selection: ReplaySelection): Promise<number> {
  return countReplaySelection(db, tenantId, await checkSelection(db, tenantId, selection));
}
