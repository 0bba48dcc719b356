import { sql, type Transaction } from 'kysely';
import type { Db } from '../database.ts';
import type { Alert, AlertType, Database } from '../tables.ts';
import { alertJson } from './alerts.ts';

/** What makes each alert open; every evaluation reads them fresh (they come from the settings). */
export interface AlertThresholds {
  /** destination.failing: failed attempts in a row (the circuit breaker's threshold). */
  destinationFailingAfter: number;
  /** source.rejecting: signature failures within `rejectWindowMs`. */
  rejectThreshold: number;
  rejectWindowMs: number;
  /** source.silent: the instance default period, for tenants and sources that set none (0: off). */
  silentAfterSeconds: number;
  /** delivery.backlog: the oldest pending delivery's age (0: off). */
  backlogAgeMs: number;
}

/** One alert to send on every channel of its tenant: the outbox gets a row per channel. */
export interface AlertMessage {
  type: 'alert.opened' | 'alert.resolved';
  alert: Alert;
}

export interface Evaluation {
  /** False when another worker holds the evaluation (it ran nothing). */
  ran: boolean;
  opened: Alert[];
  resolved: Alert[];
  /** Notifications written to the outbox. */
  queued: number;
}

/** Every worker tries; one at a time evaluates (a transaction-scoped advisory lock, freed at commit). */
const EVALUATION_LOCK = 0x686c_616c; // "hlal"

/** The alerts whose resolution a `destination.recovered` alert announces instead. */
const DESTINATION_TROUBLE: readonly AlertType[] = ['destination.failing', 'destination.disabled'];

interface Condition {
  tenant_id: string;
  type: AlertType;
  subject_kind: Alert['subject_kind'];
  subject_id: string;
  detail: Record<string, unknown>;
}

const keyOf = (a: { tenant_id: string; type: string; subject_id: string }) => `${a.tenant_id} ${a.type} ${a.subject_id}`;

/**
 * One evaluation over every tenant, in a constant number of set-based statements (never a
 * loop per tenant): read which conditions hold now, open an alert for each that has none
 * unresolved, resolve the unresolved alerts whose condition cleared, and write their
 * notifications to the outbox in the same transaction. `requestBound` is the smallest
 * request id of the rejection window (ids sort by time).
 */
export async function evaluateAlerts(
  db: Db,
  thresholds: AlertThresholds,
  options: { requestBound: string; now: Date; newId: (kind: 'alert' | 'alertNotification') => string },
): Promise<Evaluation> {
  return db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${EVALUATION_LOCK}) as ok`.execute(trx);
    if (!lock[0]?.ok) return { ran: false, opened: [], resolved: [], queued: 0 };

    const conditions = await readConditions(trx, thresholds, options.requestBound);
    const unresolved = await trx.selectFrom('alerts').selectAll().where('status', '<>', 'resolved').execute();
    const holding = new Map(conditions.map((c) => [keyOf(c), c]));
    const open = new Set(unresolved.map(keyOf));
    const { now, newId } = options;

    const toOpen = conditions.filter((c) => !open.has(keyOf(c)));
    const opened =
      toOpen.length === 0
        ? []
        : await trx
            .insertInto('alerts')
            .values(
              toOpen.map((c) => ({ ...c, id: newId('alert'), status: 'open' as const, detail: JSON.stringify(c.detail), opened_at: now })),
            )
            // A second evaluator that got past the lock anyway (it cannot) would open nothing twice.
            .onConflict((oc) => oc.doNothing())
            .returningAll()
            .execute();

    const cleared = unresolved.filter((a) => !holding.has(keyOf(a)));
    const { settled, recoveredDestinations } = await settleDestinationTrouble(trx, cleared, holding);
    const toResolve = cleared.filter((a) => !DESTINATION_TROUBLE.includes(a.type) || settled.has(a.subject_id));
    const resolved =
      toResolve.length === 0
        ? []
        : await trx
            .updateTable('alerts')
            .set({ status: 'resolved', resolved_at: now })
            .where(
              'id',
              'in',
              toResolve.map((a) => a.id),
            )
            .returningAll()
            .execute();

    const recovered = await recordRecoveries(trx, resolved, recoveredDestinations, options);

    const messages: AlertMessage[] = [
      ...opened.map((alert) => ({ type: 'alert.opened' as const, alert })),
      // A destination's failing and disabled alerts are resolved by its recovered alert.
      ...resolved.filter((a) => !DESTINATION_TROUBLE.includes(a.type)).map((alert) => ({ type: 'alert.resolved' as const, alert })),
      ...recovered.map((alert) => ({ type: 'alert.resolved' as const, alert })),
    ];
    const queued = await queueNotifications(trx, messages, options);
    return { ran: true, opened: [...opened, ...recovered], resolved, queued };
  });
}

/**
 * When a destination's failing or disabled alerts may resolve. Their condition clearing is not
 * enough: re-enabling a destination also clears its run of failures, before anything was
 * delivered. So they resolve once a delivery to it succeeded after they opened (it recovered),
 * or once it is deleted; until then they stay unresolved (and a new run of failures opens
 * nothing new). Answers the destinations whose trouble is settled, and those that recovered.
 */
async function settleDestinationTrouble(
  trx: Transaction<Database>,
  cleared: Alert[],
  holding: Map<string, Condition>,
): Promise<{ settled: Set<string>; recoveredDestinations: Map<string, { tenant_id: string; url: string }> }> {
  const since = new Map<string, Date>();
  for (const alert of cleared) {
    if (!DESTINATION_TROUBLE.includes(alert.type)) continue;
    // Still failing, or still disabled: the other alert keeps this one company.
    if (DESTINATION_TROUBLE.some((type) => holding.has(keyOf({ ...alert, type })))) continue;
    const latest = since.get(alert.subject_id);
    if (!latest || alert.opened_at > latest) since.set(alert.subject_id, alert.opened_at);
  }
  const settled = new Set<string>();
  const recoveredDestinations = new Map<string, { tenant_id: string; url: string }>();
  if (since.size === 0) return { settled, recoveredDestinations };
  const candidates = JSON.stringify([...since].map(([id, at]) => ({ id, since: at.toISOString() })));
  const { rows } = await sql<{ id: string; tenant_id: string | null; url: string | null; succeeded: boolean }>`
    select c.id, d.tenant_id, d.url,
      exists (
        select 1 from deliveries x
        where x.destination_id = c.id and x.status = 'succeeded' and x.last_attempt_at > c.since) as succeeded
    from jsonb_to_recordset(${candidates}::jsonb) as c(id text, since timestamptz)
    left join destinations d on d.id = c.id`.execute(trx);
  for (const row of rows) {
    if (row.tenant_id === null) settled.add(row.id);
    else if (row.succeeded) {
      settled.add(row.id);
      recoveredDestinations.set(row.id, { tenant_id: row.tenant_id, url: row.url as string });
    }
  }
  return { settled, recoveredDestinations };
}

/**
 * `destination.recovered`: one alert per recovered destination, born resolved, naming the
 * failing and disabled alerts it resolves (they send no message of their own).
 */
async function recordRecoveries(
  trx: Transaction<Database>,
  resolved: Alert[],
  destinations: Map<string, { tenant_id: string; url: string }>,
  options: { now: Date; newId: (kind: 'alert') => string },
): Promise<Alert[]> {
  if (destinations.size === 0) return [];
  return trx
    .insertInto('alerts')
    .values(
      [...destinations].map(([id, d]) => {
        const alerts = resolved.filter((a) => a.subject_id === id && DESTINATION_TROUBLE.includes(a.type));
        const since = alerts.map((a) => a.opened_at.getTime());
        return {
          id: options.newId('alert'),
          tenant_id: d.tenant_id,
          type: 'destination.recovered' as const,
          subject_kind: 'destination' as const,
          subject_id: id,
          status: 'resolved' as const,
          detail: JSON.stringify({
            url: d.url,
            resolves: alerts.map((a) => ({ id: a.id, type: a.type })),
            troubled_since: new Date(Math.min(...since)).toISOString(),
          }),
          opened_at: options.now,
          resolved_at: options.now,
        };
      }),
    )
    .returningAll()
    .execute();
}

/** One outbox row per message and channel of its tenant, due now. */
async function queueNotifications(
  trx: Transaction<Database>,
  messages: AlertMessage[],
  options: { now: Date; newId: (kind: 'alertNotification') => string },
): Promise<number> {
  if (messages.length === 0) return 0;
  const tenants = [...new Set(messages.map((m) => m.alert.tenant_id))];
  const channels = await trx.selectFrom('alert_channels').select(['id', 'tenant_id']).where('tenant_id', 'in', tenants).execute();
  const rows = messages.flatMap((m) =>
    channels
      .filter((c) => c.tenant_id === m.alert.tenant_id)
      .map((c) => ({
        id: options.newId('alertNotification'),
        tenant_id: c.tenant_id,
        channel_id: c.id,
        alert_id: m.alert.id,
        body: JSON.stringify({ type: m.type, alert: alertJson(m.alert) }),
        next_attempt_at: options.now,
      })),
  );
  if (rows.length === 0) return 0;
  await trx.insertInto('alert_notifications').values(rows).execute();
  return rows.length;
}

/**
 * Every condition that holds now, over all tenants, in one statement. Each part reads only
 * what can be in trouble: destinations (a small table), the rejection window through the
 * `requests_rejected` partial index, each source's newest request through `requests_source`,
 * and pending deliveries through `deliveries_due`.
 */
async function readConditions(trx: Transaction<Database>, t: AlertThresholds, requestBound: string): Promise<Condition[]> {
  const backlogSeconds = t.backlogAgeMs / 1000;
  const { rows } = await sql<Condition>`
    select tenant_id, 'destination.failing' as type, 'destination' as subject_kind, id as subject_id,
      jsonb_build_object('url', url, 'failing_since', failing_since, 'consecutive_failures', consecutive_failures) as detail
    from destinations
    where failing_since is not null and consecutive_failures >= ${t.destinationFailingAfter}
    union all
    select tenant_id, 'destination.disabled', 'destination', id,
      jsonb_build_object('url', url, 'disabled_at', disabled_at, 'failing_since', failing_since)
    from destinations
    where status = 'disabled'
    union all
    -- A burst of signature failures (a rotated provider secret, typically) that no accepted
    -- request has followed.
    select g.tenant_id, 'source.rejecting', 'source', g.source_id,
      jsonb_build_object('rejected', g.rejected, 'window_seconds', ${t.rejectWindowMs / 1000}::float8, 'last_rejected_at', g.last_at)
    from (
      select r.tenant_id, r.source_id, count(*)::int as rejected, max(r.id) as last_id, max(r.received_at) as last_at
      from requests r
      where r.outcome = 'rejected' and r.id >= ${requestBound} and r.reason = 'verification_failed' and r.source_id is not null
      group by r.tenant_id, r.source_id
    ) g
    where g.rejected >= ${t.rejectThreshold}
      and not exists (
        select 1 from requests a
        where a.source_id = g.source_id and a.id > g.last_id and a.outcome in ('accepted', 'duplicate'))
    union all
    -- Only sources that have received events before: the lateral finds none for the others.
    select s.tenant_id, 'source.silent', 'source', s.id,
      jsonb_build_object('last_event_at', last.received_at, 'silent_after_seconds', p.after)
    from sources s
    join tenants t on t.id = s.tenant_id
    cross join lateral (select coalesce(s.alert_silent_after_seconds, t.alert_silent_after_seconds, ${t.silentAfterSeconds}) as after) p
    cross join lateral (
      select r.received_at from requests r
      where r.source_id = s.id and r.outcome in ('accepted', 'duplicate')
      order by r.id desc limit 1) last
    where p.after > 0 and last.received_at < now() - make_interval(secs => p.after)
    union all
    -- Deliveries to a failing destination wait on its retry schedule; that is its own alert.
    select d.tenant_id, 'delivery.backlog', 'tenant', d.tenant_id,
      jsonb_build_object('pending', count(*), 'oldest_pending_at', min(d.created_at), 'threshold_seconds', ${backlogSeconds}::float8)
    from deliveries d
    join destinations x on x.id = d.destination_id
    where ${backlogSeconds}::float8 > 0 and d.status = 'pending' and x.failing_since is null
    group by d.tenant_id
    having min(d.created_at) < now() - make_interval(secs => ${backlogSeconds}::float8)
  `.execute(trx);
  return rows;
}
