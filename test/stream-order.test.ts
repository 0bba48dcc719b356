import { newId } from '@hookline/core';
import { currentCursor, type Db, insertTenantWithUser, openDatabase, readStream, StreamCursor } from '@hookline/db';
import { startPostgresServer, tempDir, testBackend } from '@hookline/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

/**
 * The stream's order, as a property: concurrent writers commit batches of entries (some
 * transactions held open while others commit, some rolled back) while transaction ids
 * cross a digit boundary (999 → 1,000), and every way of reading the stream (pages of random
 * sizes, resumes from random cursors, new streams started "now") sees each committed entry
 * once, in (transaction id, sequence) order. Run against the repository on real storage:
 * PGlite, or a PostgreSQL server of the test's own, since a fresh cluster's transaction ids
 * are still in the hundreds (the shared server's are far along).
 */

interface Storage {
  db: Db;
  close(): Promise<void>;
}

async function freshStorage(): Promise<Storage> {
  if (testBackend() === 'embedded') {
    const handle = await openDatabase({ dataDir: tempDir() });
    return { db: handle.db, close: () => handle.close() };
  }
  const server = await startPostgresServer();
  try {
    const handle = await openDatabase({ databaseUrl: server.url, dataDir: tempDir(), poolSize: 8 });
    return {
      db: handle.db,
      close: async () => {
        await handle.close();
        server.ensureStopped();
      },
    };
  } catch (err) {
    server.ensureStopped();
    throw err;
  }
}

/** A small seeded generator, so a failing run can be repeated from the seed it prints. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function nextXid(db: Db): Promise<bigint> {
  const { rows } = await sql<{ xid: string }>`select pg_current_xact_id()::text as xid`.execute(db);
  return BigInt((rows[0] as { xid: string }).xid);
}

class Rollback extends Error {}

/** Reads from `after` to the end of what is visible, in pages of random sizes. */
async function readAll(db: Db, tenantId: string, after: StreamCursor, pageSize: () => number): Promise<StreamCursor[]> {
  const seen: StreamCursor[] = [];
  let cursor = after;
  for (;;) {
    const page = await readStream(db, tenantId, cursor, { limit: pageSize() });
    if (page.length === 0) return seen;
    for (const entry of page) seen.push(entry.cursor);
    cursor = (page.at(-1) as { cursor: StreamCursor }).cursor;
  }
}

const encoded = (cursors: StreamCursor[]) => cursors.map((c) => c.encode());

describe('the stream order across a transaction-id digit boundary', () => {
  it('is gapless, repeat-free and ordered for pages, resumes and new streams, with concurrent writers', async () => {
    const seed = Number(process.env.STREAM_ORDER_SEED ?? Date.now() % 1_000_000);
    const rand = random(seed);
    const storage = await freshStorage();
    const { db } = storage;
    try {
      const tenantId = newId('tenant');
      const otherTenantId = newId('tenant');
      for (const id of [tenantId, otherTenantId]) {
        await insertTenantWithUser(db, { id, name: id }, { id: newId('user'), email: `${id}@example.test`, password_hash: 'x' });
      }

      // Bring the next transaction id to just below a power of ten, so the writers cross it.
      let xid = await nextXid(db);
      const boundary = 10n ** BigInt(Math.max(3, xid.toString().length));
      expect(boundary - xid, `transaction ids are at ${xid}: the test needs a fresh cluster`).toBeLessThan(20_000n);
      while (xid < boundary - 40n) xid = await nextXid(db);

      // Writers: each transaction writes 1–4 entries (some for another tenant), sometimes
      // held open across other commits, sometimes rolled back.
      const committed: StreamCursor[] = [];
      let writing = true;
      const writer = async () => {
        for (let i = 0; i < 30; i++) {
          const count = rand.int(1, 4);
          const hold = rand.next() < 0.3 ? rand.int(1, 15) : 0;
          const rollback = rand.next() < 0.15;
          try {
            const rows = await db.transaction().execute(async (trx) => {
              const written: StreamCursor[] = [];
              for (let n = 0; n < count; n++) {
                const mine = rand.next() < 0.8;
                const row = await trx
                  .insertInto('stream_entries')
                  .values({ tenant_id: mine ? tenantId : otherTenantId, kind: 'event', ref_id: newId('event') })
                  .returning([sql<string>`xid::text`.as('xid_text'), sql<string>`seq::text`.as('seq_text')])
                  .executeTakeFirstOrThrow();
                if (mine) written.push(StreamCursor.fromColumns(row.xid_text, row.seq_text));
                if (hold) await pause(hold);
              }
              if (rollback) throw new Rollback();
              return written;
            });
            committed.push(...rows);
          } catch (err) {
            if (!(err instanceof Rollback)) throw err;
          }
        }
      };

      // The reader, meanwhile: one stream paged with random sizes, remembering cursors it
      // was handed; and now and then a new stream's start ("now"), checked against what is
      // visible in the same snapshot.
      const stream: StreamCursor[] = [];
      const handedOut: StreamCursor[] = [StreamCursor.start];
      const starts: StreamCursor[] = [];
      const reader = async () => {
        let cursor = StreamCursor.start;
        let caughtUp = false;
        while (!caughtUp) {
          // Done only when a read begun after the last commit finds nothing more.
          const writersDone = !writing;
          const page = await readStream(db, tenantId, cursor, { limit: rand.int(1, 9) });
          caughtUp = writersDone && page.length === 0;
          for (const entry of page) stream.push(entry.cursor);
          if (page.length > 0) {
            cursor = (page.at(-1) as { cursor: StreamCursor }).cursor;
            handedOut.push(cursor);
          }
          if (rand.next() < 0.1) {
            await db
              .transaction()
              .setIsolationLevel('repeatable read')
              .execute(async (trx) => {
                const now = await currentCursor(trx, tenantId);
                const visible = await readStream(trx, tenantId, StreamCursor.start, { limit: 100_000 });
                const newest = visible.map((e) => e.cursor).sort((a, b) => a.compare(b));
                expect(now.encode(), 'a new stream starts after everything visible').toBe((newest.at(-1) ?? StreamCursor.start).encode());
                starts.push(now);
              });
          }
          await pause(page.length === 0 ? 3 : 0);
        }
      };

      const writers = Promise.all([writer(), writer(), writer(), writer()]).finally(() => {
        writing = false;
      });
      await Promise.all([writers, reader()]);

      const expected = [...committed].sort((a, b) => a.compare(b));
      const xids = expected.map((c) => c.xid);
      expect(xids.some((x) => x < boundary) && xids.some((x) => x >= boundary), `crossed ${boundary} (seed ${seed})`).toBe(true);

      // The one stream: every committed entry once, in order.
      const missing = encoded(expected).filter((c) => !encoded(stream).includes(c));
      expect(missing, `entries the stream never sent (seed ${seed})`).toEqual([]);
      expect(encoded(stream), `seed ${seed}`).toEqual(encoded(expected));
      // Resumed from random cursors it handed out, and new streams from their start: the rest.
      const resumeFrom = [...starts, ...Array.from({ length: 12 }, () => handedOut[rand.int(0, handedOut.length - 1)] as StreamCursor)];
      for (const from of resumeFrom) {
        const rest = await readAll(db, tenantId, from, () => rand.int(1, 9));
        expect(encoded(rest), `resumed from ${from.encode()} (seed ${seed})`).toEqual(encoded(expected.filter((c) => c.compare(from) > 0)));
      }
    } finally {
      await storage.close();
    }
  });
});
