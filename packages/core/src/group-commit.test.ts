import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

describe('GroupCommit', () => {
  it('commits what one turn of the event loop submitted together, and groups writes that arrive during a commit', async () => {
    const batches: number[][] = [];
    const committer = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise((r) => setTimeout(r, 20));
        return items.map((i) => i * 2);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = [1, 2].map((i) => committer.submit(i));
    // Submitted while the first commit is in flight: they wait, then go together.
    await new Promise((r) => setTimeout(r, 5));
    const later = [3, 4, 5].map((i) => committer.submit(i));
    expect(await Promise.all([...first, ...later])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('with lingerMs, groups writes submitted in separate turns within that time', async () => {
    const batches: number[][] = [];
    const committer = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { maxBatch: 100, maxInFlight: 1, lingerMs: 50 },
    );
    const first = committer.submit(1);
    // The next turns: without a linger, the first write would have been committed alone by now.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([]);
    const second = committer.submit(2);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('splits what waits into batches of at most maxBatch', async () => {
    const batches: number[][] = [];
    const committer = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { maxBatch: 2, maxInFlight: 4 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((i) => committer.submit(i)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('retries a failed batch one write at a time so one bad write fails alone', async () => {
    const committer = new GroupCommit<number, number>(
      async (items) => {
        await new Promise((r) => setTimeout(r, 5));
        if (items.includes(3)) throw new Error('bad write');
        return items;
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => committer.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });
});
