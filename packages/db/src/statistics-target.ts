/**
 * The statistics target Hookline's own analyses use: PGlite's `default_statistics_target`
 * (pglite-data-dir.ts) and table upkeep's ANALYZE on PostgreSQL (repositories/table-upkeep.ts).
 * ANALYZE samples 300 rows per point of it: PostgreSQL's default of 100 reads 30,000 rows a
 * table, 10 reads 3,000, plenty for the hot tables' plans, which filter on keys and a
 * handful of statuses. Upkeep's analyses come while a new install takes its first burst,
 * beside ingest: on PGlite, where they hold the one thread that also serves ingest, they
 * stalled it for 155 to 617 ms a table at 100 and 38 to 124 at 10; on a loaded 2-core
 * PostgreSQL server (`bench/paced.ts scale 600 5`) the two analyses of the five hot tables
 * took 417 and 836 ms at 100, 201 and 169 at 10.
 */
export const STATISTICS_TARGET = 10;
