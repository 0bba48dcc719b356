import type { FastifyBaseLogger } from 'fastify';

/**
 * Runs a job now (or after `firstAfterMs`) and then every `intervalMs` after each run ends
 * (never two at once). A failed run is logged and the next one comes on schedule; stop()
 * waits for a run in flight.
 */
export class Periodic {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly name: string,
    private readonly job: () => Promise<void>,
    private readonly options: { intervalMs: number; log: FastifyBaseLogger; firstAfterMs?: number },
  ) {}

  start(): void {
    this.#schedule(this.options.firstAfterMs ?? 0);
  }

  #schedule(delay: number) {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.job()
        .catch((err) => this.options.log.warn({ err: (err as Error).message }, `${this.name} failed; will try again`))
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.options.intervalMs);
        });
    }, delay);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
