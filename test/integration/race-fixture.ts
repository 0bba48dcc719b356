import { type DatabaseHandle, openDatabase } from '@hookline/db';
import { type BackendEnv, backendEnv } from '@hookline/testing';
import { sql } from 'kysely';

/**
 * For tests of two transactions racing on PostgreSQL: two connections to one fresh database
 * (the second does not migrate), holding tenant `ten_race`, its source `src_race` and that
 * source's destination `dst_race`.
 */
export interface RaceFixture {
  first: DatabaseHandle;
  second: DatabaseHandle;
  close(): Promise<void>;
}

export async function raceFixture(destination: { maxInFlight?: number } = {}): Promise<RaceFixture> {
  const storage: BackendEnv = await backendEnv();
  const options = { databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.HOOKLINE_DATA_DIR as string };
  const first = await openDatabase(options);
  const second = await openDatabase({ ...options, migrate: false });
  await sql`insert into tenants (id, name) values ('ten_race', 'race')`.execute(first.db);
  await sql`insert into sources (id, tenant_id, name, provider, ingest_key_sealed, ingest_key_hash)
    values ('src_race', 'ten_race', 'race', 'mux', 'sealed', 'hash')`.execute(first.db);
  await sql`insert into destinations (id, tenant_id, source_id, url, secret_sealed, max_in_flight)
    values ('dst_race', 'ten_race', 'src_race', 'http://127.0.0.1:9/hook', 'sealed', ${destination.maxInFlight ?? 5})`.execute(first.db);
  return {
    first,
    second,
    async close() {
      await first.close();
      await second.close();
      await storage.cleanup();
    },
  };
}
