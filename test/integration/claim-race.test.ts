import { type ClaimRequest, claimDue, type DatabaseHandle } from '@hookline/db';
import { eventually, testBackend } from '@hookline/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RaceFixture, raceFixture } from './race-fixture.ts';

// A destination's in-flight cap across processes (repositories/scheduler.ts): a claim that
// waited for another claim's lock on the destination must count the leases that claim
// committed, although its statement's snapshot was taken before them. PostgreSQL only:
// embedded storage is one connection, where no claim can interleave.
describe.skipIf(testBackend() !== 'postgres')('claims racing for one destination', () => {
  let fixture: RaceFixture;
  let first: DatabaseHandle;
  let second: DatabaseHandle;

  beforeAll(async () => {
    fixture = await raceFixture({ maxInFlight: 3 });
    ({ first, second } = fixture);
    await sql`insert into events (id, tenant_id, source_id, type, provider, provider_event_id, provider_event_type, received_at, payload)
      select 'evt_race_' || g, 'ten_race', 'src_race', 'video.asset.ready', 'mux', 'race-' || g, 'video.asset.ready', now(), '{}'
      from generate_series(1, 13) g`.execute(first.db);
    // Ten due, and three held (say, for a paused destination) that the first claim's transaction releases.
    await sql`insert into deliveries (id, tenant_id, event_id, destination_id, status, next_attempt_at)
      select 'dlv_race_' || lpad(g::text, 2, '0'), 'ten_race', 'evt_race_' || g, 'dst_race',
        case when g > 10 then 'held' else 'pending' end, case when g > 10 then null else now() - interval '1 minute' end
      from generate_series(1, 13) g`.execute(first.db);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const request: ClaimRequest = {
    ids: [],
    destinations: ['dst_race'],
    limit: 10,
    leaseMs: 60_000,
    tenantAllowance: {},
    tenantMax: 10,
    breaker: { threshold: 5 },
  };

  it('takes only what the cap leaves after the claim it waited for', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first claim's transaction releases the held three, leases them (the cap's three:
    // they are the oldest now) and stays open...
    let firstClaimed: string[] = [];
    const firstDone = first.db.transaction().execute(async (trx) => {
      await sql`update deliveries set status = 'pending', next_attempt_at = now() - interval '1 hour' where status = 'held'`.execute(trx);
      firstClaimed = (await claimDue(trx, request)).claimed.map((d) => d.id);
      await held;
    });
    await eventually(async () => firstClaimed.length > 0);
    // ...while the second, on another connection, starts and waits for the destination's lock.
    const secondDone = claimDue(second.db, request);
    await eventually(async () => {
      const { rows } = await sql<{ waiting: number }>`select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(first.db);
      return rows[0]?.waiting === 1;
    });
    release();
    await firstDone;
    const secondClaimed = (await secondDone).claimed.map((d) => d.id);

    expect(firstClaimed).toEqual(['dlv_race_11', 'dlv_race_12', 'dlv_race_13']);
    // Three in flight already: nothing more. The second claim's snapshot predates them, and
    // in it the three were held: counted in that snapshot, the destination would look idle
    // and the claim would take 01 to 03, six in flight.
    expect(secondClaimed).toEqual([]);
    const { rows } = await sql<{ leased: number }>`select count(*)::int as leased from deliveries where locked_until > now()`.execute(
      first.db,
    );
    expect(rows[0]?.leased).toBe(3);
  });
});
