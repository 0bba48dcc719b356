import { sql } from 'kysely';
import type { Db } from '../database.ts';
import type { StreamKind } from '../tables.ts';

/** xid8 is an unsigned 64-bit number; the sequence is a (signed) bigint. */
const MAX_XID8 = 2n ** 64n - 1n;
const MAX_BIGINT = 2n ** 63n - 1n;
const DIGITS = /^(\d{1,20})-(\d{1,20})$/;

/**
 * A position in a tenant's stream: after the entry with this (transaction id, sequence).
 *
 * Both halves are numbers (bigint) and positions are ordered with `compare`, never as text:
 * as text "100000" sorts before "99979", and a stream ordered that way skips and repeats
 * entries once transaction ids gain a digit. `<`, `>` and `+` on a cursor throw. On the wire
 * (the SSE `id:`, `Last-Event-ID`) a cursor is `<xid>-<seq>`, read by `parse` and written
 * by `encode` only.
 */
export class StreamCursor {
  /** Before every entry. */
  static readonly start = new StreamCursor(0n, 0n);

  private constructor(
    readonly xid: bigint,
    readonly seq: bigint,
  ) {}

  /**
   * The cursor a client sent, or null when it is not one: not `<xid>-<seq>`, or a number
   * out of its column's range (which would fail every read of the stream).
   */
  static parse(text: string | undefined): StreamCursor | null {
    const match = text ? DIGITS.exec(text.trim()) : null;
    if (!match) return null;
    const xid = BigInt(match[1] as string);
    const seq = BigInt(match[2] as string);
    return xid <= MAX_XID8 && seq <= MAX_BIGINT ? new StreamCursor(xid, seq) : null;
  }

  /** From the database's text of the two columns (they exceed a JS number). */
  static fromColumns(xid: string, seq: string): StreamCursor {
    return new StreamCursor(BigInt(xid), BigInt(seq));
  }

  encode(): string {
    return `${this.xid}-${this.seq}`;
  }

  /** Negative, zero or positive as this position is before, at or after `other`. */
  compare(other: StreamCursor): number {
    if (this.xid !== other.xid) return this.xid < other.xid ? -1 : 1;
    return this.seq === other.seq ? 0 : this.seq < other.seq ? -1 : 1;
  }

  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return this.encode();
    throw new TypeError('a StreamCursor is not a number or text: order cursors with compare(), write them with encode()');
  }

  toJSON(): string {
    return this.encode();
  }
}

export interface StreamEntry {
  /** This entry's position: a stream resumed from it continues with the next entry. */
  cursor: StreamCursor;
  kind: StreamKind;
  ref_id: string;
  source_id: string | null;
}

/** The two columns as text, under names that are not the columns' own (see `byPosition`). */
const positionText = [sql<string>`xid::text`.as('xid_text'), sql<string>`seq::text`.as('seq_text')] as const;
/**
 * Ordered by the columns themselves, table-qualified: in ORDER BY a bare name means an
 * output column of that name first, so ordering by an alias of the text would sort
 * positions as text.
 */
const byPosition = { xid: 'stream_entries.xid', seq: 'stream_entries.seq' } as const;
/** Rows written by transactions that finished before every transaction still running. */
const settled = sql<boolean>`stream_entries.xid < pg_snapshot_xmin(pg_current_snapshot())`;

/**
 * Entries after `after`, oldest first. Only entries written by transactions that finished
 * before every transaction still running are read (`xid < xmin` of the current snapshot):
 * a transaction that started earlier but commits later cannot then land behind a cursor
 * already handed out, so resuming from a cursor neither skips nor repeats.
 */
export async function readStream(
  db: Db,
  tenantId: string,
  after: StreamCursor,
  options: { sourceId?: string | undefined; kinds?: readonly StreamKind[] | undefined; limit: number },
): Promise<StreamEntry[]> {
  let q = db
    .selectFrom('stream_entries')
    .select([...positionText, 'kind', 'ref_id', 'source_id'])
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`(stream_entries.xid, stream_entries.seq) > (${after.xid.toString()}::xid8, ${after.seq.toString()}::bigint)`)
    .where(settled);
  if (options.sourceId) q = q.where('source_id', '=', options.sourceId);
  if (options.kinds && options.kinds.length > 0) q = q.where('kind', 'in', options.kinds);
  const rows = await q.orderBy(byPosition.xid).orderBy(byPosition.seq).limit(options.limit).execute();
  return rows.map((r) => ({
    cursor: StreamCursor.fromColumns(r.xid_text, r.seq_text),
    kind: r.kind,
    ref_id: r.ref_id,
    source_id: r.source_id,
  }));
}

/** The cursor of "now": after everything already visible, so a new stream starts live. */
export async function currentCursor(db: Db, tenantId: string): Promise<StreamCursor> {
  const row = await db
    .selectFrom('stream_entries')
    .select(positionText)
    .where('tenant_id', '=', tenantId)
    .where(settled)
    .orderBy(byPosition.xid, 'desc')
    .orderBy(byPosition.seq, 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? StreamCursor.fromColumns(row.xid_text, row.seq_text) : StreamCursor.start;
}

/**
 * Whether a stream could have handed out this cursor: its transaction id is below the
 * oldest transaction still running and its sequence number was issued. Both bounds only
 * grow, so every cursor ever handed out passes, also after its entries were pruned or
 * their source deleted; a cursor past them would silently skip everything written until
 * the server caught up with it.
 */
export async function couldHaveHandedOut(db: Db, cursor: StreamCursor): Promise<boolean> {
  const { rows } = await sql<{ reachable: boolean }>`
    select ${cursor.xid.toString()}::xid8 < pg_snapshot_xmin(pg_current_snapshot())
       and ${cursor.seq.toString()}::bigint <= coalesce(pg_sequence_last_value(pg_get_serial_sequence('stream_entries', 'seq')::regclass), 0)
       as reachable`.execute(db);
  return rows[0]?.reachable === true;
}
