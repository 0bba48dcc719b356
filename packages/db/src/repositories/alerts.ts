import type { Insertable } from 'kysely';
import type { Db } from '../database.ts';
import type { Alert, AlertChannelTable, AlertStatus } from '../tables.ts';
import { type Page, pageByIdDesc } from './pagination.ts';

export function insertAlertChannel(db: Db, channel: Insertable<AlertChannelTable>) {
  return db.insertInto('alert_channels').values(channel).returningAll().executeTakeFirstOrThrow();
}

/** A tenant's channels, oldest first (a tenant has a handful). */
export function listAlertChannels(db: Db, tenantId: string) {
  return db.selectFrom('alert_channels').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

/** Deletes a channel and, with it, whatever it still had to send. */
export async function deleteAlertChannel(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('alert_channels').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export function listAlerts(db: Db, tenantId: string, page: Page & { status?: AlertStatus | undefined }) {
  let q = db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId);
  if (page.status) q = q.where('status', '=', page.status);
  return pageByIdDesc(q, page);
}

export function getAlert(db: Db, tenantId: string, id: string) {
  return db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/**
 * Marks an open alert acknowledged: a person has seen it. It still resolves by itself when
 * its condition clears. Answers the alert as it is now (acknowledging twice, or a resolved
 * alert, changes nothing); undefined when the tenant has no such alert.
 */
export async function acknowledgeAlert(db: Db, tenantId: string, id: string): Promise<Alert | undefined> {
  const updated = await db
    .updateTable('alerts')
    .set({ status: 'acknowledged', acknowledged_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
  return updated ?? getAlert(db, tenantId, id);
}

export async function getTenantAlertSettings(db: Db, tenantId: string) {
  return db.selectFrom('tenants').select('alert_silent_after_seconds').where('id', '=', tenantId).executeTakeFirst();
}

export async function setTenantSilentAfter(db: Db, tenantId: string, seconds: number | null) {
  await db.updateTable('tenants').set({ alert_silent_after_seconds: seconds }).where('id', '=', tenantId).execute();
}

/** The public shape of an alert: the API's answer and the `alert` of every notification. */
export function alertJson(alert: Alert) {
  return {
    id: alert.id,
    type: alert.type,
    status: alert.status,
    subject: { kind: alert.subject_kind, id: alert.subject_id },
    opened_at: alert.opened_at.toISOString(),
    acknowledged_at: alert.acknowledged_at?.toISOString() ?? null,
    resolved_at: alert.resolved_at?.toISOString() ?? null,
    detail: alert.detail,
  };
}
