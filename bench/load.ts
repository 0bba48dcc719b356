// The load generator and the receiving endpoint, shared by every target the bench runs
// (the naive baseline, Hookline in scale mode, Hookline embedded), so figures compare.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from '@hookline/testing';
import { Pool } from 'undici';

export const MUX_SECRET = 'bench-mux-secret';
const FIXTURE = readFileSync(join(REPO_ROOT, 'packages/providers/fixtures/mux/video.asset.ready.json'), 'utf8');
/** Every sent event carries a unique provider event id of this shape; the receiver finds it in any body. */
const MARK = /bench-\d+-[0-9a-z]+/;

let counter = 0;

/** A fresh signed Mux `video.asset.ready` webhook with a unique provider event id. */
export function signedMuxEvent(): { id: string; body: string; headers: Record<string, string> } {
  const id = `bench-${++counter}-${Math.random().toString(36).slice(2, 10)}`;
  const body = FIXTURE.replace(/"id": "[0-9a-f-]{36}"/, `"id": "${id}"`);
  const t = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', MUX_SECRET).update(`${t}.${body}`).digest('hex');
  return { id, body, headers: { 'content-type': 'application/json', 'mux-signature': `t=${t},v1=${sig}` } };
}

/** The destination every target delivers to: records when each bench event arrives. */
export class Receiver {
  readonly #server: Server;
  url = '';
  arrivals = new Map<string, number>();
  duplicates = 0;
  #onArrival: (() => void) | undefined;

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.end();
        const id = MARK.exec(Buffer.concat(chunks).toString('utf8'))?.[0];
        if (!id) return;
        if (this.arrivals.has(id)) this.duplicates++;
        else this.arrivals.set(id, performance.now());
        this.#onArrival?.();
      });
    });
    this.#server.keepAliveTimeout = 60_000;
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}/hook`;
  }

  reset(): void {
    this.arrivals = new Map();
    this.duplicates = 0;
  }

  /** Resolves once every id has arrived, or after `timeoutMs`. */
  async drain(ids: Iterable<string>, timeoutMs: number): Promise<void> {
    const wanted = [...ids];
    const done = () => wanted.every((id) => this.arrivals.has(id));
    if (done()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, timeoutMs);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      let pending = wanted.filter((id) => !this.arrivals.has(id));
      this.#onArrival = () => {
        pending = pending.filter((id) => !this.arrivals.has(id));
        if (pending.length === 0) finish();
      };
    });
    this.#onArrival = undefined;
  }

  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}

export interface LoadResult {
  /** Provider event ids answered 200, with when each was sent. */
  accepted: Map<string, number>;
  /** The same ids, with when each was answered. */
  answered: Map<string, number>;
  ingestLatencyMs: number[];
  failures: number;
  startedAt: number;
  endedAt: number;
}

async function sendOne(pool: Pool, path: string, result: LoadResult): Promise<void> {
  const { id, body, headers } = signedMuxEvent();
  const t0 = performance.now();
  try {
    const res = await pool.request({ path, method: 'POST', body, headers });
    await res.body.dump();
    const t1 = performance.now();
    result.ingestLatencyMs.push(t1 - t0);
    if (res.statusCode === 200) {
      result.accepted.set(id, t0);
      result.answered.set(id, t1);
    } else result.failures++;
  } catch {
    result.failures++;
  }
}

/** An empty result, its clock started now. */
function startResult(): LoadResult {
  return { accepted: new Map(), answered: new Map(), ingestLatencyMs: [], failures: 0, startedAt: performance.now(), endedAt: 0 };
}

/** Closed loop: `connections` senders, each sending the next request when its last is answered. */
export async function closedLoop(ingestUrl: string, connections: number, durationMs: number): Promise<LoadResult> {
  const url = new URL(ingestUrl);
  const pool = new Pool(url.origin, { connections, pipelining: 1 });
  const result = startResult();
  const stopAt = result.startedAt + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) await sendOne(pool, url.pathname, result);
    }),
  );
  result.endedAt = performance.now();
  await pool.close();
  return result;
}

/** Open loop: requests at a fixed rate whatever the answers (up to 1,000 outstanding). */
export async function paced(ingestUrl: string, perSecond: number, durationMs: number): Promise<LoadResult> {
  const url = new URL(ingestUrl);
  const pool = new Pool(url.origin, { connections: 256, pipelining: 1 });
  const result = startResult();
  const total = Math.round((perSecond * durationMs) / 1000);
  const inFlight = new Set<Promise<void>>();
  for (let n = 0; n < total; n++) {
    const due = result.startedAt + (n * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= 1000) await Promise.race(inFlight);
    const p: Promise<void> = sendOne(pool, url.pathname, result).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  result.endedAt = performance.now();
  await pool.close();
  return result;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Resident memory of a process, in MB, from /proc (Linux). */
/** Samples a process's RSS four times a second until the returned function is called; it returns the peak, in MB. */
export function watchPeakRss(pid: number): () => number {
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 250);
  return () => {
    clearInterval(sampler);
    return Math.round(peak);
  };
}

function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
