import { checkpointIfDue, type DatabaseHandle, openDatabase, upkeepTables } from '@hookline/db';
import { type BackendEnv, backendEnv, testBackend } from '@hookline/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Table upkeep (services/worker table-upkeep): planner statistics for young tables, and
// vacuum where no autovacuum runs: embedded PGlite, or a PostgreSQL server or table with it off.
describe('table upkeep', () => {
  let storage: BackendEnv;
  let database: DatabaseHandle;
  const pages = async () =>
    (
      await sql<{ pages: number; analyzed: number }>`select (pg_relation_size('stream_entries') / 8192)::int as pages, relpages as analyzed
      from pg_class where relname = 'stream_entries'`.execute(database.db)
    ).rows[0] as { pages: number; analyzed: number };
  const fill = (n: number) =>
    sql`insert into stream_entries (tenant_id, kind, ref_id) select 'ten_upkeep', 'event', 'evt_' || g from generate_series(1, ${n}::int) g`.execute(
      database.db,
    );

  beforeAll(async () => {
    storage = await backendEnv();
    database = await openDatabase({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.HOOKLINE_DATA_DIR as string });
  });
  afterAll(async () => {
    await database?.close();
    await storage?.cleanup();
  });

  it('analyzes a hot table once it has doubled since its last analysis, and not again before', async () => {
    await fill(10_000);
    expect((await pages()).analyzed).toBe(0);
    const first = await upkeepTables(database.db, { vacuum: 'none' });
    expect(first.analyzed).toContain('stream_entries');
    expect(first.vacuumed).toEqual([]);
    const { pages: size, analyzed } = await pages();
    expect(analyzed).toBe(size);
    // A sample of 3,000 rows (statistics target 10, as PGlite's), not the server's 30,000:
    // 10,000 distinct ref_ids give a histogram of 11 bounds, not 101.
    const bounds = await sql<{ n: number }>`select array_length(histogram_bounds, 1) as n from pg_stats
      where schemaname = current_schema() and tablename = 'stream_entries' and attname = 'ref_id'`.execute(database.db);
    expect(bounds.rows[0]?.n).toBe(11);
    // Grown by half: not yet.
    await fill(5_000);
    expect((await upkeepTables(database.db, { vacuum: 'none' })).analyzed).not.toContain('stream_entries');
    await fill(20_000);
    expect((await upkeepTables(database.db, { vacuum: 'none' })).analyzed).toContain('stream_entries');
  });

  it('vacuums, of the hot tables, those autovacuum leaves alone: deliveries, whose rows are rewritten, at every run', async () => {
    await sql`alter table deliveries set (autovacuum_enabled = false)`.execute(database.db);
    try {
      const done = await upkeepTables(database.db, { vacuum: 'unattended' });
      expect(done.vacuumed).toContain('deliveries');
      // Empty append-only tables are under every threshold, whether the server vacuums them or not.
      expect(done.vacuumed).not.toContain('events');
      expect(done.vacuumed).not.toContain('attempts');
      expect((await upkeepTables(database.db, { vacuum: 'none' })).vacuumed).toEqual([]);
    } finally {
      await sql`alter table deliveries reset (autovacuum_enabled)`.execute(database.db);
    }
  });

  it('leaves the append-only tables unvacuumed on PGlite however much was inserted: a vacuum there holds ingest for its length', async () => {
    await fill(30_000);
    const done = await upkeepTables(database.db, { vacuum: 'all' });
    expect(done.vacuumed).toEqual(['deliveries']);
  });

  it('vacuums every hot table once their rows are old enough to need freezing', async () => {
    const done = await upkeepTables(database.db, { vacuum: 'all', freezeAge: 0 });
    expect(done.vacuumed.sort()).toEqual(['attempts', 'deliveries', 'events', 'requests', 'stream_entries']);
  });

  it('vacuums after pruning, so the space of deleted rows is written again instead of growing the table', async () => {
    await sql`delete from stream_entries`.execute(database.db);
    const before = (await pages()).pages;
    const done = await upkeepTables(database.db, { vacuum: 'all', pruned: true });
    expect(done.vacuumed.sort()).toEqual(['attempts', 'deliveries', 'events', 'requests', 'stream_entries']);
    await fill(30_000);
    // Without the vacuum the same rows again would take as many new pages.
    expect((await pages()).pages).toBeLessThanOrEqual(before + 2);
  });
});

// A database of its own: statistics of another test's inserts could reach the counters late.
describe.runIf(testBackend() === 'postgres')('table upkeep on PostgreSQL with autovacuum off for a table', () => {
  let storage: BackendEnv;
  let database: DatabaseHandle;
  /**
   * Runs a statement on one connection and flushes its statistics to the shared counters
   * before answering, so none reach them late (after an analysis, or a later check).
   */
  const write = (statement: ReturnType<typeof sql>) =>
    database.db.connection().execute(async (c) => {
      await statement.execute(c);
      await sql`select pg_stat_force_next_flush()`.execute(c);
    });
  const fill = (n: number) =>
    write(
      sql`insert into stream_entries (tenant_id, kind, ref_id) select 'ten_upkeep', 'event', 'evt_' || g from generate_series(1, ${n}::int) g`,
    );
  const inserted = async () =>
    (
      await sql<{ n: number }>`select n_ins_since_vacuum::int as n from pg_stat_user_tables where relname = 'stream_entries'`.execute(
        database.db,
      )
    ).rows[0]?.n;

  beforeAll(async () => {
    storage = await backendEnv();
    database = await openDatabase({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.HOOKLINE_DATA_DIR as string });
    await sql`alter table stream_entries set (autovacuum_enabled = false)`.execute(database.db);
    await sql`alter table deliveries set (autovacuum_enabled = false)`.execute(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await storage?.cleanup();
  });

  it('vacuums an append-only table past autovacuum’s insert threshold (1,000 + 20 %), and not again before', async () => {
    await fill(500);
    expect(await inserted()).toBe(500);
    expect((await upkeepTables(database.db, { vacuum: 'unattended' })).vacuumed).not.toContain('stream_entries');
    await fill(1_000);
    expect(await inserted()).toBe(1_500);
    expect((await upkeepTables(database.db, { vacuum: 'unattended' })).vacuumed).toContain('stream_entries');
    // Counted from that vacuum on, against a table of 1,500 rows: 1,250 more is under 1,000 + 300.
    await fill(1_250);
    expect((await upkeepTables(database.db, { vacuum: 'unattended' })).vacuumed).not.toContain('stream_entries');
  });

  // ANALYZE counts the line pointers a vacuum left dead for a later index pass as dead rows.
  const deadDeliveries = async () => {
    await write(sql`analyze deliveries`);
    return (
      await sql<{ n: number }>`select n_dead_tup::int as n from pg_stat_user_tables where relname = 'deliveries'`.execute(database.db)
    ).rows[0]?.n;
  };

  it('vacuums deliveries without their indexes unless asked for the index pass, which clears what the others left', async () => {
    await write(sql`insert into deliveries (id, tenant_id, event_id, destination_id, status)
      select 'dlv_upkeep' || g, 'ten_upkeep', 'evt_upkeep' || g, 'dst_upkeep', 'pending' from generate_series(1, 1000) g`);
    // Non-HOT (status is indexed): every row leaves a dead version with index entries.
    await write(sql`update deliveries set status = 'succeeded' where tenant_id = 'ten_upkeep'`);
    const heapOnly = await upkeepTables(database.db, { vacuum: 'unattended', indexPass: false });
    expect(heapOnly.vacuumed).toContain('deliveries');
    expect(heapOnly.heapOnly).toEqual(['deliveries']);
    expect(await deadDeliveries()).toBe(1_000);
    const full = await upkeepTables(database.db, { vacuum: 'unattended', indexPass: true });
    expect(full.vacuumed).toContain('deliveries');
    expect(full.heapOnly).toEqual([]);
    expect(await deadDeliveries()).toBe(0);
  });

  it('makes the index pass after pruning whatever it was asked', async () => {
    await write(sql`update deliveries set status = 'failed' where tenant_id = 'ten_upkeep'`);
    const done = await upkeepTables(database.db, { vacuum: 'unattended', indexPass: false, pruned: true });
    expect(done.heapOnly).toEqual([]);
    expect(await deadDeliveries()).toBe(0);
  });
});

// PGlite runs PostgreSQL single-user: no checkpointer, so no checkpoint until it closes.
describe.runIf(testBackend() === 'embedded')('checkpoints on embedded PGlite', () => {
  let storage: BackendEnv;
  let database: DatabaseHandle;
  const walSinceCheckpoint = async () =>
    Number(
      (
        await sql<{
          bytes: number;
        }>`select pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 as bytes from pg_control_checkpoint()`.execute(database.db)
      ).rows[0]?.bytes,
    );
  const write = () =>
    sql`insert into stream_entries (tenant_id, kind, ref_id) select 'ten_wal', 'event', repeat('x', 500) || g from generate_series(1, 5000) g`.execute(
      database.db,
    );

  beforeAll(async () => {
    storage = await backendEnv();
    database = await openDatabase({ dataDir: storage.env.HOOKLINE_DATA_DIR as string });
  });
  afterAll(async () => {
    await database?.close();
    await storage?.cleanup();
  });

  it('takes none by itself as WAL grows, and one once the WAL since the last passes the limit', async () => {
    const before = await walSinceCheckpoint();
    await write();
    const grown = await walSinceCheckpoint();
    // Nothing in PGlite checkpointed meanwhile: what was written is all still to be replayed.
    expect(grown - before).toBeGreaterThan(2_000_000);

    const under = await checkpointIfDue(database.db, { maxWalBytes: grown * 2, maxAgeMs: 3_600_000 });
    expect(under).toMatchObject({ checkpointed: false });
    expect(await walSinceCheckpoint()).toBeGreaterThanOrEqual(grown);

    const over = await checkpointIfDue(database.db, { maxWalBytes: grown - 1, maxAgeMs: 3_600_000 });
    expect(over.checkpointed).toBe(true);
    expect(over.walBytes).toBeGreaterThanOrEqual(grown);
    expect(await walSinceCheckpoint()).toBeLessThan(100_000);
  });

  it('takes one once the last is older than the age limit and something was written since, not when idle', async () => {
    await write();
    const done = await checkpointIfDue(database.db, { maxWalBytes: 1e12, maxAgeMs: 0 });
    expect(done.checkpointed).toBe(true);
    // Idle since: nothing to checkpoint, however old the last one.
    expect(await checkpointIfDue(database.db, { maxWalBytes: 1e12, maxAgeMs: 0 })).toMatchObject({ checkpointed: false });
  });
});
