import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as core from './migrations/2026_11_23_0001_core.ts';
import * as sessionsAndStream from './migrations/2026_11_23_0002_sessions_and_stream.ts';
import * as testEvents from './migrations/2026_11_23_0003_test_events.ts';
import * as sourcesAwaitingSecret from './migrations/2026_11_23_0004_sources_awaiting_secret.ts';
import * as ingestLimits from './migrations/2026_12_01_0001_ingest_limits.ts';
import * as ingestKeyHash from './migrations/2026_12_01_0002_ingest_key_hash.ts';
import * as accounts from './migrations/2026_12_01_0003_accounts.ts';
import * as hotPath from './migrations/2026_12_01_0004_hot_path.ts';
import * as failedDeliveriesIndex from './migrations/2026_12_01_0005_failed_deliveries_index.ts';
import * as invites from './migrations/2026_12_01_0006_invites.ts';
import * as deliveryControls from './migrations/2026_12_01_0007_delivery_controls.ts';
import * as alerts from './migrations/2026_12_01_0008_alerts.ts';
import * as replayJobs from './migrations/2026_12_01_0009_replay_jobs.ts';
import * as routingRules from './migrations/2026_12_01_0010_routing_rules.ts';
import * as stats from './migrations/2026_12_01_0011_stats.ts';
import * as searchDepthGuard from './migrations/2026_12_01_0012_search_depth_guard.ts';
import * as objectOrdering from './migrations/2026_12_01_0013_object_ordering.ts';
import * as leasedDeliveries from './migrations/2026_12_01_0015_leased_deliveries.ts';
import * as searchIndexPendingList from './migrations/2026_12_01_0016_search_index_pending_list.ts';
import * as noStatisticsOnBodies from './migrations/2026_12_01_0017_no_statistics_on_bodies.ts';
import * as leasedNow from './migrations/2026_12_01_0018_leased_now.ts';
import * as noForeignKeysOnHotTables from './migrations/2026_12_01_0019_no_foreign_keys_on_hot_tables.ts';
import * as destinationTriggerPerRow from './migrations/2026_12_01_0020_destination_trigger_per_row.ts';

/** Migrations are listed here, in order, so bundling and tsx both find them without fs globbing. */
const MIGRATIONS: Record<string, Migration> = {
  '2026_11_23_0001_core': core,
  '2026_11_23_0002_sessions_and_stream': sessionsAndStream,
  '2026_11_23_0003_test_events': testEvents,
  '2026_11_23_0004_sources_awaiting_secret': sourcesAwaitingSecret,
  '2026_12_01_0001_ingest_limits': ingestLimits,
  '2026_12_01_0002_ingest_key_hash': ingestKeyHash,
  '2026_12_01_0003_accounts': accounts,
  '2026_12_01_0004_hot_path': hotPath,
  '2026_12_01_0005_failed_deliveries_index': failedDeliveriesIndex,
  '2026_12_01_0006_invites': invites,
  '2026_12_01_0007_delivery_controls': deliveryControls,
  '2026_12_01_0008_alerts': alerts,
  '2026_12_01_0010_routing_rules': routingRules,
  '2026_12_01_0009_replay_jobs': replayJobs,
  '2026_12_01_0011_stats': stats,
  '2026_12_01_0012_search_depth_guard': searchDepthGuard,
  '2026_12_01_0013_object_ordering': objectOrdering,
  '2026_12_01_0015_leased_deliveries': leasedDeliveries,
  '2026_12_01_0016_search_index_pending_list': searchIndexPendingList,
  '2026_12_01_0017_no_statistics_on_bodies': noStatisticsOnBodies,
  '2026_12_01_0018_leased_now': leasedNow,
  '2026_12_01_0019_no_foreign_keys_on_hot_tables': noForeignKeysOnHotTables,
  '2026_12_01_0020_destination_trigger_per_row': destinationTriggerPerRow,
};

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return MIGRATIONS;
  }
}

/** Brings the schema up to date; throws (and the process exits non-zero) on any failure. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  // Migrations are numbered when work starts and land as it finishes, so a database may have
  // run a later number before an earlier one lands (0010 before 0009): each stands alone, so
  // the missing one is applied rather than refused.
  const migrator = new Migrator({ db, provider: new StaticProvider(), allowUnorderedMigrations: true });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (!error && !failed) return;
    // Before it takes its lock, Kysely's migrator reads every table's columns from the catalog
    // (to see whether its own table exists). A process starting beside this one may drop a
    // column meanwhile (sealPlaintextIngestKeys drops sources.ingest_key), and the read then
    // fails with undefined_column although no migration did: read again, once.
    if (attempt === 1 && !failed && (error as { code?: string } | undefined)?.code === '42703') continue;
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error)?.message ?? 'unknown error'}`);
  }
}
