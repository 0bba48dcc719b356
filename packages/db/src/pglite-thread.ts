import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PreparedNames } from './prepared.ts';

/** What the Kysely dialect needs of PGlite (pglite-dialect.ts). */
export interface PGliteClient {
  readonly waitReady: Promise<void>;
  /** `prepared`: run it as a named statement, parsed once (the hot path's, see PREPARED). */
  query<R>(
    sql: string,
    params: readonly unknown[],
    options?: { prepared?: boolean },
  ): Promise<{ rows: R[]; affectedRows?: number | undefined }>;
  close(): Promise<void>;
}

/**
 * The thread's side: opens PGlite and runs each query sent to it, in order (PGlite queues
 * them itself). Plain CommonJS source, run with `eval`, so the same code works under tsx,
 * vitest and the built dist without a file to find. A PostgreSQL error crosses as its
 * fields (code, constraint...): callers read `err.code` as they would from node-postgres.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const FIELDS = ['code', 'detail', 'hint', 'position', 'schema', 'table', 'column', 'dataType', 'constraint', 'severity', 'where', 'routine'];
const fields = (err) => {
  const out = { message: err && err.message !== undefined ? err.message : String(err), name: err && err.name };
  for (const k of FIELDS) if (err && err[k] !== undefined) out[k] = err[k];
  return out;
};
(async () => {
  let db;
  let pg;
  try {
    pg = await import(workerData.module);
    db = new pg.PGlite(workerData.dataDir, { startParams: [...pg.PGlite.defaultStartParams, ...workerData.settings] });
    await db.waitReady;
    parentPort.postMessage({ id: 0 });
  } catch (err) {
    parentPort.postMessage({ id: 0, error: fields(err) });
    return;
  }
  // Named statements, parsed and described once per name (the main thread's PreparedNames
  // says which): PGlite's query() parses and plans every statement again each time, a large
  // part of a big statement's cost.
  const { serialize } = pg.protocol;
  const paramTypes = new Map();
  const run = (message) => db.execProtocol(message, { syncToFs: false }).then((r) => r.messages);
  const prepared = (sql, params, name, replaces) =>
    db.runExclusive(async () => {
      const messages = [];
      try {
        if (replaces && paramTypes.delete(replaces)) {
          // The replaced one's plan goes: PGlite's memory only ever grows.
          await run(serialize.close({ type: 'S', name: replaces }));
        }
        let types = paramTypes.get(name);
        if (!types) {
          await run(serialize.parse({ name, text: sql, types: [] }));
          types = pg.parse.parseDescribeStatementResults(await run(serialize.describe({ type: 'S', name })));
          paramTypes.set(name, types);
        }
        const values = params.map((v, i) => {
          if (v === null || v === undefined) return null;
          // Bytes go as they are, in binary format: PGlite's own bytea serializer makes a
          // hex string a byte at a time, slower than the rest of the ingest statement.
          if (v instanceof Uint8Array) return v;
          const toText = db.serializers[types[i]];
          return toText ? toText(v) : v.toString();
        });
        messages.push(...(await run(serialize.bind({ statement: name, values }))));
        messages.push(...(await run(serialize.describe({ type: 'P' }))));
        messages.push(...(await run(serialize.execute({}))));
      } finally {
        messages.push(...(await run(serialize.sync())));
      }
      return pg.parse.parseResults(messages, db.parsers)[0];
    });
  parentPort.on('message', (m) => {
    if (m.close) {
      db.close().then(() => parentPort.postMessage({ id: m.id }), (err) => parentPort.postMessage({ id: m.id, error: fields(err) }));
      return;
    }
    (m.name ? prepared(m.sql, m.params, m.name, m.replaces) : db.query(m.sql, m.params)).then(
      (r) => parentPort.postMessage({ id: m.id, rows: r.rows, affectedRows: r.affectedRows }),
      (err) => parentPort.postMessage({ id: m.id, error: fields(err) }),
    );
  });
})();
`;

interface Reply {
  id: number;
  rows?: unknown[];
  affectedRows?: number;
  error?: { message: string } & Record<string, unknown>;
}

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) on a thread of its own. PGlite runs each query
 * synchronously on the thread that calls it, and in one process that thread is also
 * the one parsing requests, verifying signatures and posting deliveries: about half the
 * embedded server's CPU is PGlite. On its own thread the database and everything else use
 * two cores, and a slow statement no longer stalls the HTTP server. Rows and parameters
 * cross by structured clone (Dates, byte arrays and bigints as they are).
 */
export class PGliteThread implements PGliteClient {
  readonly waitReady: Promise<void>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();
  #nextId = 1;
  #failed: Error | undefined;
  readonly #names = new PreparedNames();

  /** `settings`: `-c name=value` pairs for PostgreSQL's command line (pglite-data-dir.ts pgliteSettings). */
  constructor(dataDir: string, settings: readonly string[] = []) {
    const module = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
    // PGlite is loaded on its thread only: the main thread never needs its code.
    this.#worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { module, dataDir, settings } });
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.#pending.set(0, { resolve: () => resolve(), reject });
    });
    // Nothing may be left unhandled if the caller only ever awaits queries.
    this.waitReady.catch(() => {});
    this.#worker.on('message', (reply: Reply) => {
      const waiting = this.#pending.get(reply.id);
      if (!waiting) return;
      this.#pending.delete(reply.id);
      if (reply.error) waiting.reject(Object.assign(new Error(reply.error.message), reply.error));
      else waiting.resolve(reply);
    });
    const fail = (err: Error) => {
      this.#failed = err;
      for (const waiting of this.#pending.values()) waiting.reject(err);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the embedded database thread exited (code ${code})`)));
  }

  async query<R>(
    sql: string,
    params: readonly unknown[],
    options: { prepared?: boolean } = {},
  ): Promise<{ rows: R[]; affectedRows?: number | undefined }> {
    const named = options.prepared ? this.#names.next(sql) : {};
    const reply = await this.#send({ sql, params, ...named });
    return { rows: reply.rows as R[], affectedRows: reply.affectedRows };
  }

  async close(): Promise<void> {
    if (this.#failed) return;
    try {
      await this.#send({ close: true });
    } finally {
      await this.#worker.terminate();
    }
  }

  #send(message: Record<string, unknown>): Promise<Reply> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }
}
