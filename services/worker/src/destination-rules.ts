import type { ClaimedDelivery } from '@hookline/db';
import { compileFilter, filterView, type Matcher, type TransformRunner } from '@hookline/rules';

/** What an attempt sends, or why it sends nothing. */
export type Ruled =
  | { kind: 'send'; body: string; headers: Record<string, string> }
  | { kind: 'skip' | 'error'; reason: string; durationMs: number };

/**
 * A destination's filter and transform at attempt time (CONTRACT §8): the filter again
 * (ingest checked it, but it may have changed since: a retry or replay of an event it no
 * longer matches is skipped), then the transform, in its sandbox. Test events
 * (provider `hookline`) are sent whatever the filter.
 */
export class DestinationRules {
  /** Compiled filters by their JSON text: destinations share few distinct filters; bounded. */
  readonly #filters = new Map<string, Matcher>();

  constructor(private readonly transforms: TransformRunner) {}

  async apply(delivery: ClaimedDelivery, attempt: number): Promise<Ruled> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    if (delivery.filter && !delivery.filterChecked && delivery.provider !== 'hookline') {
      const matches = this.#filter(delivery.filter);
      if (matches && !matches(filterView(delivery.payload, delivery.headers))) {
        return { kind: 'skip', reason: "skipped: the destination's filter does not match this event", durationMs: elapsed() };
      }
    }
    if (!delivery.transform) return { kind: 'send', body: delivery.payload, headers: {} };
    const outcome = await this.transforms.run(delivery.transform, JSON.parse(delivery.payload), {
      source_id: delivery.source_id,
      destination_id: delivery.destination_id,
      attempt,
    });
    if (outcome.kind === 'send') return outcome;
    if (outcome.kind === 'skip') return { kind: 'skip', reason: 'skipped: the transform returned null', durationMs: elapsed() };
    return { kind: 'error', reason: outcome.error, durationMs: elapsed() };
  }

  #filter(filter: Record<string, unknown>): Matcher | null {
    const key = JSON.stringify(filter);
    let matcher = this.#filters.get(key);
    if (!matcher) {
      try {
        matcher = compileFilter(filter);
      } catch {
        // Validated on write; one a newer release refuses sends rather than drops.
        return null;
      }
      if (this.#filters.size >= 1_000) this.#filters.clear();
      this.#filters.set(key, matcher);
    }
    return matcher;
  }
}
