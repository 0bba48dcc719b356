/**
 * Groups concurrent writes into shared transactions. A commit starts at the end of the
 * current turn of the event loop (setImmediate), so every write submitted while this turn's
 * I/O was handled joins it: with an embedded database, whose queries run synchronously on
 * this thread, nothing else could ever overlap. While commits are in flight, new writes
 * queue and the next commit takes them all, so throughput grows with load instead of the
 * commit rate capping it. A failed batch is retried one write at a time, so one bad write
 * cannot fail its neighbours.
 */
interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most writes per commit. */
  maxBatch: number;
  /** Commits running at once. */
  maxInFlight: number;
  /**
   * How long a write waits for others before its commit starts; by default until the end of
   * the current turn. For writes no caller is waiting on to answer someone: fewer, larger
   * statements for a few milliseconds more.
   */
  lingerMs?: number;
}

export class GroupCommit<I, O> {
  readonly #pending: Waiting<I, O>[] = [];
  #inFlight = 0;

  constructor(
    private readonly commit: (items: I[]) => Promise<O[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  #scheduled = false;

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      const go = () => {
        this.#scheduled = false;
        this.#flush();
      };
      if (this.options.lingerMs) setTimeout(go, this.options.lingerMs);
      else setImmediate(go);
    });
  }

  #flush(): void {
    while (this.#inFlight < this.options.maxInFlight && this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.options.maxBatch);
      this.#inFlight++;
      this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#flush();
      });
    }
  }

  async #run(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.commit(batch.map((b) => b.item));
      for (const [i, b] of batch.entries()) b.resolve(results[i] as O);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      await Promise.all(
        batch.map(async (b) => {
          try {
            const [result] = await this.commit([b.item]);
            b.resolve(result as O);
          } catch (e) {
            b.reject(e);
          }
        }),
      );
    }
  }
}
