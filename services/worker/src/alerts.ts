import { idTimeBound, newId } from '@hookline/core';
import { type AlertThresholds, type Db, evaluateAlerts } from '@hookline/db';
import type { FastifyBaseLogger } from 'fastify';
import type { AlertSender } from './alert-sender.ts';
import { Periodic } from './periodic.ts';

/**
 * The worker's alert job: evaluate every tenant's alerts (one worker at a time; the others
 * skip), then send the outbox (every worker helps, each notification leased to one). Reads
 * only the database: nothing on the ingest path waits for it.
 */
export class Alerts {
  readonly #periodic: Periodic;

  constructor(
    private readonly deps: {
      db: Db;
      sender: AlertSender;
      log: FastifyBaseLogger;
      intervalMs: number;
      thresholds: AlertThresholds;
    },
  ) {
    this.#periodic = new Periodic('alerts', () => this.run().then(() => {}), deps);
  }

  start(): void {
    this.#periodic.start();
  }

  async stop(): Promise<void> {
    await this.#periodic.stop();
    await this.deps.sender.close();
  }

  /** One pass: evaluate, then start sending what is due. */
  async run() {
    const now = new Date();
    const evaluation = await evaluateAlerts(this.deps.db, this.deps.thresholds, {
      now,
      requestBound: idTimeBound('request', new Date(now.getTime() - this.deps.thresholds.rejectWindowMs)),
      newId,
    });
    if (evaluation.opened.length + evaluation.resolved.length > 0) {
      this.deps.log.info(
        { opened: evaluation.opened.length, resolved: evaluation.resolved.length, notifications: evaluation.queued },
        'alerts changed',
      );
    }
    const sending = await this.deps.sender.sendDue();
    return { ...evaluation, sending };
  }
}
