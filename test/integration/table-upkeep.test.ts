import { type DatabaseHandle, openDatabase, upkeepTables } from '@hookline/db';
import { type BackendEnv, backendEnv } from '@hookline/testing';
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
    // Grown by half: not yet.
    await fill(5_000);
    expect((await upkeepTables(database.db, { vacuum: 'none' })).analyzed).not.toContain('stream_entries');
    await fill(20_000);
    expect((await upkeepTables(database.db, { vacuum: 'none' })).analyzed).toContain('stream_entries');
  });

  it('vacuums, of the hot tables, those autovacuum leaves alone: all when the server has it off, else the tables that do', async () => {
    await sql`alter table attempts set (autovacuum_enabled = false)`.execute(database.db);
    try {
      const { rows } = await sql<{ autovacuum: string }>`show autovacuum`.execute(database.db);
      const serverOn = rows[0]?.autovacuum === 'on';
      const done = await upkeepTables(database.db, { vacuum: 'unattended' });
      expect(done.vacuumed.sort()).toEqual(serverOn ? ['attempts'] : ['attempts', 'deliveries', 'events', 'requests', 'stream_entries']);
      expect((await upkeepTables(database.db, { vacuum: 'none' })).vacuumed).toEqual([]);
    } finally {
      await sql`alter table attempts reset (autovacuum_enabled)`.execute(database.db);
    }
  });

  it('vacuums when asked, so the space of deleted rows is written again instead of growing the table', async () => {
    await sql`delete from stream_entries`.execute(database.db);
    const before = (await pages()).pages;
    const done = await upkeepTables(database.db, { vacuum: 'all' });
    expect(done.vacuumed).toEqual(expect.arrayContaining(['requests', 'events', 'deliveries', 'attempts', 'stream_entries']));
    await fill(30_000);
    // Without the vacuum the same rows again would take as many new pages.
    expect((await pages()).pages).toBeLessThanOrEqual(before + 2);
  });
});
