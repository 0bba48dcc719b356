/**
 * Waiting on a list that fills as things arrive (requests at a receiver, messages on a stream):
 * `waitFor(count)` resolves once `items` holds `count` of them, or rejects after `timeoutMs`
 * with "<who> got <n> of <count> <noun> in <timeoutMs> ms". Call `arrived()` after each push.
 */
export function arrivals(items: readonly unknown[], who: string, noun: string) {
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    arrived() {
      for (const w of waiters.filter((w) => items.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    waitFor(count: number, timeoutMs = 20_000): Promise<void> {
      if (items.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${who} got ${items.length} of ${count} ${noun} in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}
