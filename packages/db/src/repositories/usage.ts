import type { Db } from '../database.ts';

/**
 * Bytes a tenant stores: request bodies and headers and event payloads. Triggers keep
 * `tenant_usage` (see migration 2026_12_01_0001), so this is a sum over a few shard rows.
 */
export async function tenantStoredBytes(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('tenant_usage')
    .select((eb) => eb.fn.sum<string | number>('stored_bytes').as('bytes'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return Number(row?.bytes ?? 0);
}

/** From this share of its budget on, a tenant is warned (log line, `near_budget` in the API). */
export const NEAR_BUDGET_SHARE = 0.8;

/** Where stored bytes stand against a budget (0: no budget). */
export function storageStanding(storedBytes: number, budgetBytes: number): 'ok' | 'near' | 'over' {
  if (budgetBytes <= 0) return 'ok';
  if (storedBytes >= budgetBytes) return 'over';
  return storedBytes >= budgetBytes * NEAR_BUDGET_SHARE ? 'near' : 'ok';
}
