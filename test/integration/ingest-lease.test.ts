import { newId } from '@hookline/core';
import {
  type ClaimedDelivery,
  claimDue,
  type DatabaseHandle,
  type IngestLease,
  type IngestWriteResult,
  openDatabase,
  storeIngestBatch,
} from '@hookline/db';
import { type BackendEnv, backendEnv, eventually, testBackend } from '@hookline/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedWrite } from './ingest-write.ts';
import { type RaceFixture, raceFixture } from './race-fixture.ts';

// The ingest statement leases new deliveries for a worker in the same process (IngestLease in
// repositories/ingest.ts): only where a claim would take them at once, within the same
// budgets, and it hands back everything else to be scheduled as before.
describe('deliveries leased by the ingest statement', () => {
  let storage: BackendEnv;
  let database: DatabaseHandle;
  const db = () => database.db;
  const lease: IngestLease = {
    limit: 100,
    leaseMs: 60_000,
    tenantAllowance: { ten_lease: 100, ten_other: 100 },
    breaker: { threshold: 5 },
  };

  beforeAll(async () => {
    storage = await backendEnv();
    database = await openDatabase({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.HOOKLINE_DATA_DIR as string });
    for (const tenant of ['ten_lease', 'ten_other']) {
      await sql`insert into tenants (id, name) values (${tenant}, ${tenant})`.execute(db());
      await sql`insert into sources (id, tenant_id, name, provider, ingest_key_sealed, ingest_key_hash)
        values (${`src_${tenant}`}, ${tenant}, 'lease', 'mux', 'sealed', ${`hash-${tenant}`})`.execute(db());
    }
  });
  afterAll(async () => {
    await database?.close();
    await storage?.cleanup();
  });

  /** A destination of ten_lease's source (or `tenant`'s), with `columns` set. */
  async function destination(columns: Record<string, unknown> = {}, tenant = 'ten_lease'): Promise<string> {
    const id = newId('destination');
    await sql`insert into destinations (id, tenant_id, source_id, url, secret_sealed, filter, transform)
      values (${id}, ${tenant}, ${`src_${tenant}`}, 'http://127.0.0.1:9/hook', 'sealed', '{"type": "video.asset.ready"}', 'return event')`.execute(
      db(),
    );
    for (const [column, value] of Object.entries(columns)) {
      await sql`update destinations set ${sql.ref(column)} = ${value} where id = ${id}`.execute(db());
    }
    return id;
  }

  /** An accepted request of `tenant`, delivered to `destinations` (`delayMs`: an ordering window). */
  const write = (destinations: readonly string[], { tenant = 'ten_lease', delayMs }: { tenant?: string; delayMs?: number } = {}) =>
    acceptedWrite({ tenantId: tenant, sourceId: `src_${tenant}`, destinations, ...(delayMs === undefined ? {} : { delayMs }) });

  const leasedIds = (results: IngestWriteResult[]) => results.flatMap((r) => r.leased.map((d) => d.id));
  const scheduledIds = (results: IngestWriteResult[]) => results.flatMap((r) => r.deliveries.map((d) => d.id));
  const leasedInDb = async (destinationId: string) => {
    const { rows } = await sql<{ id: string }>`select id from deliveries
      where destination_id = ${destinationId} and status = 'pending' and locked_until > now() order by id`.execute(db());
    return rows.map((r) => r.id);
  };

  it('leases a new delivery to an idle destination and returns it ready to attempt, as a claim would', async () => {
    const dst = await destination();
    const w = write([dst]);
    const [result] = (await storeIngestBatch(db(), [w], { lease })) as [IngestWriteResult];
    expect(result.deliveries).toEqual([]);
    expect(result.leased).toHaveLength(1);
    const leased = result.leased[0] as ClaimedDelivery;
    expect(leased).toMatchObject({
      id: w.deliveries?.[0]?.id,
      tenant_id: 'ten_lease',
      event_id: w.event?.id,
      destination_id: dst,
      attempt_count: 0,
      payload: w.event?.payload,
      type: 'video.asset.ready',
      provider: 'mux',
      source_id: 'src_ten_lease',
      url: 'http://127.0.0.1:9/hook',
      secret_sealed: 'sealed',
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      filter: { type: 'video.asset.ready' },
      transform: 'return event',
      filterChecked: true,
    });
    expect(await leasedInDb(dst)).toEqual([leased.id]);
    // The version the attempt's record checks is the row's.
    const { rows } = await sql<{ updated_at: Date }>`select updated_at from deliveries where id = ${leased.id}`.execute(db());
    expect(new Date(rows[0]?.updated_at as Date).getTime()).toBe(leased.updated_at.getTime());
    // A claim now finds nothing to take: the delivery is leased once.
    const claim = await claimDue(db(), {
      ids: [leased.id],
      destinations: [dst],
      limit: 10,
      leaseMs: 60_000,
      tenantAllowance: {},
      tenantMax: 10,
      breaker: { threshold: 5 },
    });
    expect(claim.claimed).toEqual([]);
  });

  it('leases nothing without a lease: every delivery is returned to be scheduled', async () => {
    const dst = await destination();
    const results = await storeIngestBatch(db(), [write([dst]), write([dst])]);
    expect(leasedIds(results)).toEqual([]);
    expect(scheduledIds(results)).toHaveLength(2);
    expect(await leasedInDb(dst)).toEqual([]);
  });

  it("stays within the destination's in-flight cap, counting the leases it already has", async () => {
    const dst = await destination({ max_in_flight: 3 });
    const first = await storeIngestBatch(db(), [write([dst])], { lease });
    expect(leasedIds(first)).toHaveLength(1);
    const writes = [write([dst]), write([dst]), write([dst])];
    const results = await storeIngestBatch(db(), writes, { lease });
    // Two more fill the cap of three, the oldest requests first; the third is scheduled.
    expect(leasedIds(results)).toEqual([writes[0]?.deliveries?.[0]?.id, writes[1]?.deliveries?.[0]?.id]);
    expect(scheduledIds(results)).toEqual([writes[2]?.deliveries?.[0]?.id]);
    expect(await leasedInDb(dst)).toHaveLength(3);
  });

  it('leases nothing where due work is already waiting: the oldest goes first', async () => {
    const dst = await destination();
    const waiting = await storeIngestBatch(db(), [write([dst])]);
    expect(scheduledIds(waiting)).toHaveLength(1);
    const results = await storeIngestBatch(db(), [write([dst])], { lease });
    expect(leasedIds(results)).toEqual([]);
    expect(scheduledIds(results)).toHaveLength(1);
  });

  it('leases nothing for a paused, rate-limited, breaker-tripped or breaker-open destination, nor within an ordering window', async () => {
    const paused = await destination({ status: 'paused' });
    const rated = await destination({ rate_limit: JSON.stringify({ count: 10, period: 'second' }) });
    const tripped = await destination({ consecutive_failures: 5 });
    const open = await destination({ breaker_open_until: new Date(Date.now() + 60_000) });
    const ordered = await destination();
    const writes = [write([paused, rated, tripped, open]), write([ordered], { delayMs: 1000 })];
    const results = await storeIngestBatch(db(), writes, { lease });
    expect(leasedIds(results)).toEqual([]);
    expect(scheduledIds(results)).toHaveLength(5);
    // The breaker-tripped one is still leased by a claim (one probe at a time): its work was scheduled, not lost.
    for (const d of [paused, rated, tripped, open, ordered]) expect(await leasedInDb(d)).toEqual([]);
  });

  it("takes at most the lent slots and each tenant's allowance; a tenant not listed gets none", async () => {
    const mine = await destination();
    const theirs = await destination({}, 'ten_other');
    const writes = [write([mine]), write([mine]), write([mine]), write([theirs], { tenant: 'ten_other' })];
    const allowance = await storeIngestBatch(db(), writes, { lease: { ...lease, tenantAllowance: { ten_lease: 2 } } });
    expect(leasedIds(allowance)).toEqual([writes[0]?.deliveries?.[0]?.id, writes[1]?.deliveries?.[0]?.id]);
    expect(scheduledIds(allowance)).toHaveLength(2);

    const fresh = [await destination(), await destination()];
    const limited = await storeIngestBatch(db(), [write(fresh), write(fresh)], { lease: { ...lease, limit: 3 } });
    expect(leasedIds(limited)).toHaveLength(3);
    expect(scheduledIds(limited)).toHaveLength(1);
  });

  it("a duplicate whose request cannot be stored fails alone: the batch's new event and its lease stand", async () => {
    const [before, dst] = [await destination(), await destination()];
    const original = write([before]);
    await storeIngestBatch(db(), [original]);
    // A copy of the stored event whose request row collides with one already stored, so the
    // batch's second statement (the duplicates' request rows) fails after the first committed.
    const copy = { ...write([before]), event: { ...(original.event as NonNullable<typeof original.event>), id: newId('event') } };
    copy.request = { ...copy.request, id: original.request.id };
    const fresh = write([dst]);
    const [copied, stored] = (await storeIngestBatch(db(), [copy, fresh], { lease })) as [IngestWriteResult, IngestWriteResult];
    expect(copied.error).toBeInstanceOf(Error);
    expect(stored.error).toBeUndefined();
    expect(stored.eventId).toBe(fresh.event?.id);
    expect(leasedIds([stored])).toEqual([fresh.deliveries?.[0]?.id]);
    expect(await leasedInDb(dst)).toEqual([fresh.deliveries?.[0]?.id]);
  });
});

// A claim holds its destinations' rows until it commits; ingest does not wait for one, and
// leaves that destination's new deliveries to be claimed. PostgreSQL only: embedded storage
// is one connection, where no statement can interleave with another transaction.
describe.skipIf(testBackend() !== 'postgres')('an ingest lease meeting a claim on its destination', () => {
  let fixture: RaceFixture;

  beforeAll(async () => {
    fixture = await raceFixture({ maxInFlight: 10 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('skips the locked destination instead of waiting for it', async () => {
    const { first, second } = fixture;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = false;
    const claimDone = first.db.transaction().execute(async (trx) => {
      await sql`select id from destinations where id = 'dst_race' for no key update`.execute(trx);
      locked = true;
      await held;
    });
    await eventually(async () => locked);
    const w = acceptedWrite({ tenantId: 'ten_race', sourceId: 'src_race', destinations: ['dst_race'] });
    const deliveryId = w.deliveries?.[0]?.id;
    const results = await storeIngestBatch(second.db, [w], {
      lease: { limit: 10, leaseMs: 60_000, tenantAllowance: { ten_race: 10 }, breaker: { threshold: 5 } },
    });
    // Answered while the lock is still held: not leased, scheduled for a claim.
    expect(results[0]?.leased).toEqual([]);
    expect(results[0]?.deliveries.map((d) => d.id)).toEqual([deliveryId]);
    release();
    await claimDone;
  });
});
