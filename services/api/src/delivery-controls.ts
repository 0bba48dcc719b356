import { formatDuration, parseDuration } from '@hookline/core';
import {
  type Db,
  type DeliveryStatus,
  type Destination,
  type DestinationOrdering,
  type DestinationStatus,
  type HeldReason,
  releaseHeldDeliveries,
  updateDestination,
} from '@hookline/db';
import { type DeliveryQueue, enqueueOrLeaveToSweeper } from '@hookline/queue';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import { badRequest } from './errors.ts';
import { Nullable, Timestamp } from './schemas.ts';

/**
 * A destination's delivery controls (CONTRACT §8): its budget (max_in_flight, rate_limit),
 * its status, and the circuit breaker's state. One module owns writing them, so a resume
 * from `paused: false` and one from `status: "active"` do the same thing.
 */

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

const RateLimitSchema = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: 100_000 }),
    period: Type.Union([Type.Literal('second'), Type.Literal('minute'), Type.Literal('hour')]),
  },
  { additionalProperties: false, description: 'At most `count` attempts in any `period`' },
);

const OrderingSchema = Type.Union([Type.Literal('none'), Type.Literal('object')], {
  description:
    '"object": events with the same object.type and object.id are delivered one at a time in occurred_at order, different objects in parallel',
});
const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$';
const MAX_ORDERING_WINDOW = '1h';

/** Fields a create or a PATCH may carry. */
export const ControlFields = {
  max_in_flight: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Attempts in flight at once to this destination (default 5; 1 = strictly serial)',
    }),
  ),
  rate_limit: Type.Optional(Nullable(RateLimitSchema)),
  ordering: Type.Optional(OrderingSchema),
  ordering_window: Type.Optional(
    Type.String({
      pattern: DURATION_PATTERN,
      maxLength: 20,
      description: `With ordering "object": how long a delivery waits after its event arrives for earlier-occurred events of the same object (default 2s, at most ${MAX_ORDERING_WINDOW})`,
    }),
  ),
};

export const StatusField = {
  status: Type.Optional(
    Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('disabled')], {
      description:
        '"active" resumes a paused destination or re-enables one the circuit breaker disabled; "disabled" is set only by the breaker',
    }),
  ),
};

export const DeliveryStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('held'),
  Type.Literal('skipped'),
]);

export const HeldReasonSchema = Type.Union(
  [Type.Literal('destination_paused'), Type.Literal('destination_disabled'), Type.Literal('ordering'), Type.Null()],
  {
    description:
      'Why a held delivery waits: its destination is paused or disabled, or an earlier event of the same object is not delivered yet',
  },
);

export const HeldByEventSchema = Nullable(
  Type.String({ description: 'With held_reason "ordering": the earlier event of the same object this delivery waits for' }),
);

/** A destination's delivery, as its deliveries list shows it. */
export const DestinationDeliverySchema = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  status: DeliveryStatusSchema,
  held_reason: HeldReasonSchema,
  attempt_count: Type.Integer(),
  next_attempt_at: Nullable(Timestamp),
  last_attempt_at: Nullable(Timestamp),
  created_at: Timestamp,
  held_by_event_id: HeldByEventSchema,
});

export function destinationDeliveryView(d: {
  id: string;
  event_id: string;
  status: DeliveryStatus;
  held_reason: HeldReason | null;
  attempt_count: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  created_at: Date;
  held_by_event_id: string | null;
}) {
  return {
    id: d.id,
    event_id: d.event_id,
    status: d.status,
    held_reason: d.held_reason,
    attempt_count: d.attempt_count,
    next_attempt_at: iso(d.next_attempt_at),
    last_attempt_at: iso(d.last_attempt_at),
    created_at: new Date(d.created_at).toISOString(),
    held_by_event_id: d.held_by_event_id,
  };
}

/** What a destination shows of them. */
export const ControlsView = {
  status: Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('disabled')]),
  max_in_flight: Type.Integer(),
  rate_limit: Nullable(RateLimitSchema),
  disabled_at: Nullable(Timestamp),
  failing_since: Nullable(Timestamp),
  consecutive_failures: Type.Integer(),
  breaker_open_until: Nullable(Timestamp),
  ordering: OrderingSchema,
  ordering_window: Type.String({ description: 'A duration such as 2s or 500ms' }),
};

export function controlsView(destination: Destination) {
  return {
    status: destination.status,
    max_in_flight: destination.max_in_flight,
    rate_limit: destination.rate_limit ?? null,
    disabled_at: iso(destination.disabled_at),
    failing_since: iso(destination.failing_since),
    consecutive_failures: destination.consecutive_failures,
    breaker_open_until: iso(destination.breaker_open_until),
    ordering: destination.ordering,
    ordering_window: formatDuration(destination.ordering_window_ms),
  };
}

interface ControlInput {
  max_in_flight?: number | undefined;
  rate_limit?: { count: number; period: 'second' | 'minute' | 'hour' } | null | undefined;
  ordering?: DestinationOrdering | undefined;
  ordering_window?: string | undefined;
}

/**
 * The budget and ordering columns a create or a PATCH sets. A change of ordering applies to
 * deliveries fanned out after it: those made while a destination ordered keep their order.
 */
export function controlChanges(input: ControlInput) {
  const changes: { max_in_flight?: number; rate_limit?: string | null; ordering?: DestinationOrdering; ordering_window_ms?: number } = {};
  if (input.max_in_flight !== undefined) changes.max_in_flight = input.max_in_flight;
  if (input.rate_limit !== undefined) changes.rate_limit = input.rate_limit === null ? null : JSON.stringify(input.rate_limit);
  if (input.ordering !== undefined) changes.ordering = input.ordering;
  if (input.ordering_window !== undefined) {
    const ms = parseDuration(input.ordering_window);
    if (ms > parseDuration(MAX_ORDERING_WINDOW)) throw badRequest(`ordering_window: at most ${MAX_ORDERING_WINDOW}`);
    changes.ordering_window_ms = ms;
  }
  return changes;
}

/**
 * The status a PATCH asks for, from `status` or the older `paused` boolean; undefined when
 * it asks for no change of status. A person may pause and resume; only the breaker disables.
 */
export function requestedStatus(input: { status?: DestinationStatus | undefined; paused?: boolean | undefined }) {
  const fromPaused = input.paused === undefined ? undefined : input.paused ? 'paused' : 'active';
  if (input.status === 'disabled') throw badRequest('status: only the circuit breaker disables a destination; use "paused" or "active"');
  if (input.status !== undefined && fromPaused !== undefined && input.status !== fromPaused) {
    throw badRequest('status and paused disagree; send one of them');
  }
  return input.status ?? fromPaused;
}

/** The columns that move a destination to `status`. Re-enabling also forgets the breaker's run of failures. */
export function statusChanges(destination: Destination, status: 'active' | 'paused') {
  if (status === 'paused') return { status, paused_at: destination.paused_at ?? new Date() } as const;
  return {
    status,
    paused_at: null,
    disabled_at: null,
    consecutive_failures: 0,
    failing_since: null,
    breaker_open_until: null,
  } as const;
}

/**
 * Applies the changes; if the destination became active, its held deliveries are due now,
 * oldest first (the claim takes a destination's deliveries by due time, then id). Answers
 * the destination as changed and how many held deliveries that released.
 */
export async function updateWithStatus(
  deps: { db: Db; queue: DeliveryQueue },
  log: FastifyBaseLogger,
  tenantId: string,
  destination: Destination,
  changes: Parameters<typeof updateDestination>[3],
): Promise<{ updated: Destination | undefined; released: number }> {
  const updated = await updateDestination(deps.db, tenantId, destination.id, changes);
  if (updated?.status !== 'active' || destination.status === 'active') return { updated, released: 0 };
  const released = await releaseHeldDeliveries(deps.db, tenantId, destination.id);
  void enqueueOrLeaveToSweeper(
    deps.queue,
    released.map((d) => ({ deliveryId: d.id, runAt: d.next_attempt_at as Date })),
    log,
  );
  return { updated, released: released.length };
}
