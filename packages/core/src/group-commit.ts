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

export class GroupCommit<I, O> {
  readonly #pending: Waiting<I, O>[] = [];
  #inFlight = 0;

  constructor(
    private readonly commit: (items: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; maxInFlight: number },
  ) {}

  #scheduled = false;

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
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
