import { type DatabaseHandle, openDatabase } from '@hookline/db';
import { type BackendEnv, backendEnv } from '@hookline/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Ingest routes with a cached source and destinations, and writes only while the source's
// config_version is the one it routed with (repositories/ingest.ts). A trigger bumps it on
// every change to a destination's configuration (migration 0020), and not on what the
// delivery path writes on every attempt (leases, rate log, breaker), which would empty the
// cache all the time.
describe("a source's config_version", () => {
  let storage: BackendEnv;
  let database: DatabaseHandle;
  const db = () => database.db;

  beforeAll(async () => {
    storage = await backendEnv();
    database = await openDatabase({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.HOOKLINE_DATA_DIR as string });
    await sql`insert into tenants (id, name) values ('ten_cv', 'cv')`.execute(db());
    for (const source of ['src_cv_a', 'src_cv_b']) {
      await sql`insert into sources (id, tenant_id, name, provider, ingest_key_sealed, ingest_key_hash)
        values (${source}, 'ten_cv', ${source}, 'mux', 'sealed', ${`hash-${source}`})`.execute(db());
    }
    await sql`insert into destinations (id, tenant_id, source_id, url, secret_sealed)
      values ('dst_cv', 'ten_cv', 'src_cv_a', 'http://127.0.0.1:9/hook', 'sealed')`.execute(db());
  });
  afterAll(async () => {
    await database?.close();
    await storage?.cleanup();
  });

  const versions = async () => {
    const { rows } = await sql<{ id: string; config_version: string }>`
      select id, config_version::text from sources where id in ('src_cv_a', 'src_cv_b') order by id`.execute(db());
    return Object.fromEntries(rows.map((r) => [r.id, Number(r.config_version)]));
  };

  it('moves when a destination’s configuration changes', async () => {
    const before = await versions();
    await sql`update destinations set url = 'http://127.0.0.1:9/other' where id = 'dst_cv'`.execute(db());
    const after = await versions();
    expect(after.src_cv_a).toBeGreaterThan(before.src_cv_a as number);
    expect(after.src_cv_b).toBe(before.src_cv_b);
  });

  it('stays put for what the delivery path writes: leases, rate log, breaker', async () => {
    const before = await versions();
    await sql`update destinations set consecutive_failures = consecutive_failures + 1, failing_since = now(),
      breaker_open_until = now() + interval '1 minute', rate_log = array[1, 2]::bigint[], leases = '{"x": 1}', updated_at = now()
      where id = 'dst_cv'`.execute(db());
    // A statement that could update destinations and updates none (a claim's rate-limit step).
    await sql`update destinations set rate_log = '{}' where id = 'no-such-destination'`.execute(db());
    expect(await versions()).toEqual(before);
  });

  it('moves on both sources when a destination moves from one to the other', async () => {
    const before = await versions();
    await sql`update destinations set source_id = 'src_cv_b' where id = 'dst_cv'`.execute(db());
    const after = await versions();
    expect(after.src_cv_a).toBeGreaterThan(before.src_cv_a as number);
    expect(after.src_cv_b).toBeGreaterThan(before.src_cv_b as number);
  });
});
