import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface TenantTable {
  id: string;
  name: string;
  /** The tenant's default source.silent period (null: HOOKLINE_ALERT_SOURCE_SILENT_AFTER; 0: off). */
  alert_silent_after_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
}

export interface UserTable {
  id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  created_at: CreatedAt;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface SourceTable {
  id: string;
  tenant_id: string;
  name: string;
  provider: string;
  /** SHA-256 of the ingest key, hex (hashIngestKey): ingest looks the source up by it. */
  ingest_key_hash: string;
  /** The ingest key sealed with HOOKLINE_SECRET_KEY, opened only to show the tenant its URL. */
  ingest_key_sealed: string;
  /** Null until the tenant pastes the provider's secret (requests are rejected until then). */
  secret_sealed: string | null;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: NullableTimestamp;
  settings: Json<Record<string, unknown>>;
  /** This source's source.silent period (null: the tenant's default; 0: off). */
  alert_silent_after_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  /** Bumped (by trigger) on any change to the source or its destinations: ingest's cache checks it at write. */
  config_version: ColumnType<string, never, never>;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface DestinationTable {
  id: string;
  tenant_id: string;
  source_id: string;
  url: string;
  event_types: Json<string[] | null> | null;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: NullableTimestamp;
  /** Set with status 'paused' (kept for the `paused` boolean of the API). */
  paused_at: NullableTimestamp;
  status: ColumnType<DestinationStatus, DestinationStatus | undefined, DestinationStatus>;
  /** Attempts in flight at once to this destination (1: strictly serial). */
  max_in_flight: ColumnType<number, number | undefined, number>;
  rate_limit: ColumnType<RateLimit | null, string | null | undefined, string | null>;
  /** Delivery id → lease expiry (epoch ms) of the attempts in flight (the scheduler's; see migration 0007). */
  leases: ColumnType<Record<string, number>, string | undefined, string>;
  /** Start times (epoch ms) of the attempts of the last rate period. */
  rate_log: ColumnType<string[], string[] | undefined, string[]>;
  /** Failed attempts in a row; 0 after a success. */
  consecutive_failures: ColumnType<number, number | undefined, number>;
  /** When the current run of consecutive failures began; null after a success. */
  failing_since: NullableTimestamp;
  /** The breaker is open until then (no attempts); after it, half-open (one probe at a time). */
  breaker_open_until: NullableTimestamp;
  /** When the breaker disabled the destination (status 'disabled'); null otherwise. */
  disabled_at: NullableTimestamp;
  ordering: ColumnType<DestinationOrdering, DestinationOrdering | undefined, DestinationOrdering>;
  ordering_window_ms: ColumnType<number, number | undefined, number>;
  /** A filter document (CONTRACT §8), or null: every event of its types. */
  filter: Json<Record<string, unknown> | null> | null;
  /** JavaScript source of `function transform(event, context)`, or null. */
  transform: string | null;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

/** `paused` by a person, `disabled` by the circuit breaker; only `active` destinations get attempts. */
export type DestinationStatus = 'active' | 'paused' | 'disabled';
export type DestinationOrdering = 'none' | 'object';
export type RatePeriod = 'second' | 'minute' | 'hour';
export interface RateLimit {
  count: number;
  period: RatePeriod;
}

export type RequestOutcome = 'accepted' | 'duplicate' | 'probe' | 'rejected';

export interface RequestTable {
  id: string;
  tenant_id: string | null;
  source_id: string | null;
  /** For a key no source has, its first characters (ingestKeyHint); null when source_id says it. */
  ingest_key_hint: string | null;
  received_at: Timestamp;
  method: string;
  headers: Json<Record<string, string>>;
  body: Uint8Array | null;
  body_bytes: number;
  remote_ip: string | null;
  outcome: RequestOutcome;
  reason: string | null;
  /** Human words for a rejection, e.g. which part of the signature check failed. */
  detail: string | null;
  status_code: number;
  event_id: string | null;
}

export interface EventTable {
  id: string;
  tenant_id: string;
  source_id: string;
  /** Null for test events sent from the dashboard. */
  request_id: string | null;
  type: string;
  provider: string;
  provider_event_id: string;
  provider_event_type: string;
  occurred_at: NullableTimestamp;
  received_at: Timestamp;
  payload: string;
}

/**
 * `held`: waiting on a paused or disabled destination (or an earlier event of the same object); held_reason says which.
 * `skipped`: not sent: the destination's filter no longer matches, or its transform returned null.
 */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'held' | 'skipped';

/** Why a delivery is held. */
export type HeldReason = 'destination_paused' | 'destination_disabled' | 'ordering';

export interface DeliveryTable {
  id: string;
  tenant_id: string;
  event_id: string;
  destination_id: string;
  status: DeliveryStatus;
  attempt_count: Generated<number>;
  next_attempt_at: NullableTimestamp;
  locked_until: NullableTimestamp;
  last_attempt_at: NullableTimestamp;
  held_reason: ColumnType<HeldReason | null, HeldReason | null | undefined, HeldReason | null>;
  /** `object.type/object.id` when its destination orders per object. */
  object_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** With object_key: its event's occurred_at (received_at when none), the order of its object's deliveries. */
  occurred_at: ColumnType<Date | null, Date | string | null | undefined, Date | null>;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface AttemptTable {
  id: string;
  tenant_id: string;
  delivery_id: string;
  event_id: string;
  number: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string | null;
  created_at: CreatedAt;
}

export interface SessionTable {
  id: string;
  tenant_id: string;
  user_id: string;
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** Failed logins per account, by a digest of the lowercased email (migration 2026_12_01_0003). */
export interface LoginFailureTable {
  email_hash: string;
  failures: number;
  last_failed_at: ColumnType<Date, Date | string | undefined, Date | string>;
  locked_until: NullableTimestamp;
}

export type StreamKind = 'request' | 'event' | 'attempt';

export interface StreamEntryTable {
  seq: Generated<string>;
  xid: Generated<string>;
  tenant_id: string;
  source_id: string | null;
  kind: StreamKind;
  ref_id: string;
  created_at: CreatedAt;
}

/** Ingest requests answered 429, counted per subject (`source:<id>` or `address:<ip>`) and minute instead of stored. */
export interface RateLimitedCountTable {
  subject: string;
  minute: Timestamp;
  tenant_id: string | null;
  source_id: string | null;
  remote_ip: string | null;
  count: number;
}

/** Bytes a tenant stores, in shards summed on read; kept by triggers (migration 2026_12_01_0001). */
export interface TenantUsageTable {
  tenant_id: string;
  shard: number;
  stored_bytes: ColumnType<string | number, number, number>;
}

/** A one-use token that lets a new tenant sign up while signup is closed (only its hash is kept). */
export interface InviteTable {
  token_hash: string;
  /** Who invited; null for the admin command. */
  tenant_id: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  used_by_tenant_id: string | null;
}

export type AlertChannelType = 'webhook' | 'slack' | 'email';

/** Where a tenant's alerts are sent (migration 2026_12_01_0008). */
export interface AlertChannelTable {
  id: string;
  tenant_id: string;
  type: AlertChannelType;
  /** What the tenant sees: the webhook URL, the email address, or the Slack URL cut short. */
  target: string;
  /** Sealed: a webhook channel's signing secret, or a Slack channel's whole URL. */
  secret_sealed: string | null;
  created_at: CreatedAt;
}

export type AlertType =
  | 'destination.failing'
  | 'destination.disabled'
  | 'destination.recovered'
  | 'source.rejecting'
  | 'source.silent'
  | 'delivery.backlog';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface AlertTable {
  id: string;
  tenant_id: string;
  type: AlertType;
  subject_kind: 'destination' | 'source' | 'tenant';
  subject_id: string;
  status: AlertStatus;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
  opened_at: Timestamp;
  acknowledged_at: NullableTimestamp;
  resolved_at: NullableTimestamp;
}

/** The alert outbox: one row per alert message and channel, sent and retried on its own. */
export interface AlertNotificationTable {
  id: string;
  tenant_id: string;
  channel_id: string;
  alert_id: string;
  /** The message as it was when the alert moved: `{type: "alert.opened"|"alert.resolved", alert}`. */
  body: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  locked_until: NullableTimestamp;
  last_error: string | null;
  sent_at: NullableTimestamp;
  /** Set when the retry schedule is spent. */
  failed_at: NullableTimestamp;
  created_at: CreatedAt;
}

export type ReplayJobStatus = 'queued' | 'running' | 'succeeded' | 'cancelled' | 'failed';

/** A bulk replay (migration 2026_12_01_0009): its selection, progress and keyset cursor over deliveries.id. */
export interface ReplayJobTable {
  id: string;
  tenant_id: string;
  filter: ColumnType<ReplaySelection, string, string>;
  status: ReplayJobStatus;
  total: number;
  done: Generated<number>;
  /** The first delivery id made after the job was: later deliveries are not the job's. */
  upto: string;
  /** The last delivery id handled; null before the first chunk. */
  cursor: string | null;
  error: string | null;
  locked_by: string | null;
  locked_until: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
  finished_at: NullableTimestamp;
}

/**
 * Which deliveries a replay job redelivers; every given field must match. Times bound the
 * event's received_at. Without `status`, every delivery but a held one.
 */
export interface ReplaySelection {
  destination_id?: string | undefined;
  source_id?: string | undefined;
  /** Event types; `video.asset.*` matches by prefix. */
  types?: string[] | undefined;
  status?: string[] | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** Exactly these events (e.g. "replay exactly these" after trying a rule on history). */
  event_ids?: string[] | undefined;
  /**
   * The events `GET /v1/events?q=` finds (parseEventQuery), kept as text and resolved chunk
   * by chunk: a bulk retry by search has no size cap and resumes like any other selection.
   */
  q?: string | undefined;
}

/** Rollups for GET /v1/stats per minute and hour (migration 2026_12_01_0011, repositories/stats.ts): summed over shards on read. */
export interface StatsRequestTable {
  tenant_id: string;
  source_id: string;
  grain: 'minute' | 'hour';
  /** The start of the minute or hour. */
  at: Timestamp;
  outcome: RequestOutcome;
  /** '' when the outcome has none. */
  reason: string;
  shard: number;
  count: number;
}

export interface StatsEventTable {
  tenant_id: string;
  source_id: string;
  grain: 'minute' | 'hour';
  at: Timestamp;
  type: string;
  shard: number;
  count: number;
  last_at: Timestamp;
}

export interface Database {
  alert_channels: AlertChannelTable;
  alerts: AlertTable;
  alert_notifications: AlertNotificationTable;
  replay_jobs: ReplayJobTable;
  stats_requests: StatsRequestTable;
  stats_events: StatsEventTable;
  rate_limited_counts: RateLimitedCountTable;
  tenant_usage: TenantUsageTable;
  sessions: SessionTable;
  login_failures: LoginFailureTable;
  invites: InviteTable;
  stream_entries: StreamEntryTable;
  tenants: TenantTable;
  users: UserTable;
  api_keys: ApiKeyTable;
  sources: SourceTable;
  destinations: DestinationTable;
  requests: RequestTable;
  events: EventTable;
  deliveries: DeliveryTable;
  attempts: AttemptTable;
}

export type Tenant = Selectable<TenantTable>;
export type User = Selectable<UserTable>;
export type ApiKey = Selectable<ApiKeyTable>;
export type Source = Selectable<SourceTable>;
export type Destination = Selectable<DestinationTable>;
export type RequestRow = Selectable<RequestTable>;
export type NewRequest = Insertable<RequestTable>;
export type EventRow = Selectable<EventTable>;
export type NewEvent = Insertable<EventTable>;
export type Delivery = Selectable<DeliveryTable>;
export type NewDelivery = Insertable<DeliveryTable>;
export type DeliveryUpdate = Updateable<DeliveryTable>;
export type Attempt = Selectable<AttemptTable>;
export type AlertChannel = Selectable<AlertChannelTable>;
export type Alert = Selectable<AlertTable>;
export type AlertNotification = Selectable<AlertNotificationTable>;
export type NewAttempt = Insertable<AttemptTable>;
export type ReplayJob = Selectable<ReplayJobTable>;
