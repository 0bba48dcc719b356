import { type Kysely, sql } from 'kysely';

// Alerts (issue 13, CONTRACT §8): tenant notification channels, alerts with a lifecycle, and
// the outbox their notifications leave through.
//
// - alert_channels: where a tenant is told. `target` is what the tenant sees (a webhook URL,
//   an email address, a Slack URL cut short); `secret_sealed` is the webhook channel's
//   signing secret, or the Slack URL itself (an incoming-webhook URL is a bearer secret).
// - alerts: one row per occurrence. At most one unresolved alert per (tenant, type, subject)
//   (a unique partial index), so an open alert is never opened, nor sent, twice.
// - alert_notifications: the outbox. The evaluator writes one row per channel in the same
//   transaction that opens or resolves an alert, so a restart loses nothing; a sender
//   leases rows and retries each on its own schedule, so a failing channel holds up no other.
//   Never the delivery pipeline: an alert about a destination cannot travel through it.
// - sources.alert_silent_after_seconds and tenants.alert_silent_after_seconds: the source.silent
//   period, per source and the tenant's default (null: the next one; 0: off).
// - requests_rejected: the source.rejecting evaluation reads only recent rejections, across
//   every tenant, without scanning the accepted requests.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alert_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('webhook', 'slack', 'email')`))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('alert_channels_tenant').on('alert_channels').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'acknowledged', 'resolved')`))
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('alerts_tenant').on('alerts').columns(['tenant_id', 'id']).execute();
  await db.schema
    .createIndex('alerts_unresolved')
    .on('alerts')
    .columns(['tenant_id', 'type', 'subject_id'])
    .unique()
    .where(sql.ref('status'), '<>', 'resolved')
    .execute();

  await db.schema
    .createTable('alert_notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('channel_id', 'text', (c) => c.notNull().references('alert_channels.id').onDelete('cascade'))
    .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // What the sender looks for: unsent, unspent notifications, by when they are due.
  await db.schema
    .createIndex('alert_notifications_due')
    .on('alert_notifications')
    .column('next_attempt_at')
    .where(sql<boolean>`sent_at is null and failed_at is null`)
    .execute();
  await db.schema.createIndex('alert_notifications_alert').on('alert_notifications').column('alert_id').execute();

  await db.schema.alterTable('sources').addColumn('alert_silent_after_seconds', 'integer').execute();
  await db.schema.alterTable('tenants').addColumn('alert_silent_after_seconds', 'integer').execute();

  await db.schema.createIndex('requests_rejected').on('requests').column('id').where(sql.ref('outcome'), '=', 'rejected').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('requests_rejected').ifExists().execute();
  await db.schema.alterTable('tenants').dropColumn('alert_silent_after_seconds').execute();
  await db.schema.alterTable('sources').dropColumn('alert_silent_after_seconds').execute();
  await db.schema.dropTable('alert_notifications').ifExists().execute();
  await db.schema.dropTable('alerts').ifExists().execute();
  await db.schema.dropTable('alert_channels').ifExists().execute();
}
