import { storageStanding } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';

/**
 * The per-tenant storage budget as ingest sees it: each ingest transaction reads back the
 * bytes its tenants store (folded into the requests insert, no extra round trip), and
 * the next request of a tenant over budget is refused. So the budget holds to within one
 * batch, in every relay process, and a tenant is let in again on the request after
 * retention frees space (refused requests are stored, metadata only, and read it back too).
 */
export class StorageBudget {
  /** Last known stored bytes per tenant. */
  readonly #usage = new Map<string, number>();

  constructor(private readonly deps: { budgetBytes: number; log: FastifyBaseLogger }) {}

  get enabled(): boolean {
    return this.deps.budgetBytes > 0;
  }

  get budgetBytes(): number {
    return this.deps.budgetBytes;
  }

  isOver(tenantId: string): boolean {
    return storageStanding(this.#usage.get(tenantId) ?? 0, this.deps.budgetBytes) === 'over';
  }

  /**
   * Takes a fresh reading and warns when it crosses 80 % or 100 %. The warning is a log line
   * (and `near_budget` in GET /v1/usage) for now: alert channels are a later issue's, and
   * would hook in here.
   */
  observe(tenantId: string, storedBytes: number): void {
    const before = this.#usage.get(tenantId);
    this.#usage.set(tenantId, storedBytes);
    const was = before === undefined ? 'ok' : storageStanding(before, this.deps.budgetBytes);
    const now = storageStanding(storedBytes, this.deps.budgetBytes);
    if (now === was || now === 'ok' || (was === 'over' && now === 'near')) return;
    const fields = { tenant_id: tenantId, stored_bytes: storedBytes, budget_bytes: this.deps.budgetBytes };
    if (now === 'near') this.deps.log.warn(fields, 'tenant storage is near its budget (80 %)');
    else
      this.deps.log.warn(fields, 'tenant storage budget reached: ingest answers 507 storage_budget_exceeded until retention frees space');
  }
}
