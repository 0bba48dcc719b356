import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InvalidTransformError, type SandboxLimits, type TransformContext, type TransformOutcome } from './transform-types.ts';

/**
 * The sandbox thread. Compiled (a build's .js files), it is started as it is. From the
 * TypeScript sources (tsx), it is loaded through tsx's API: a worker thread does not inherit
 * the process's loader. Resolved when first needed, so a process with no tsx installed only
 * needs it if it runs sources.
 */
function startThread(workerData: SandboxLimits): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./sandbox-thread.js', import.meta.url), { workerData });
  const entry = new URL('./sandbox-thread.ts', import.meta.url).href;
  const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** How long past its own deadline a call may run before its thread is terminated. */
const GRACE_MS = 500;

interface Pending {
  message: Record<string, unknown>;
  onTimeout: unknown;
  resolve: (result: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Runs transforms on a thread of their own, so a call never blocks the worker's event loop,
 * and terminates that thread when a call outlives its deadline (QuickJS's interrupt handler
 * is the first line; this is the backstop when the guest holds it off, e.g. by thrashing its
 * allocator at the memory limit). The call then ends as a timeout and the next call starts
 * a fresh thread: the process itself never stops.
 */
export class TransformRunner {
  #thread: Worker | undefined;
  /** Resolves once the current thread has loaded QuickJS. */
  #ready: Promise<void> = Promise.resolve();
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor(readonly limits: SandboxLimits) {}

  /** Throws InvalidTransformError when the source does not compile or defines no `transform` function. */
  async check(source: string): Promise<void> {
    const result = await this.#call({ op: 'check', source }, `transform: timeout: compiling ran over ${this.limits.timeoutMs} ms`);
    if (result === null) return;
    throw new InvalidTransformError(typeof result === 'string' ? result : (result as { error: string }).error);
  }

  /** Never throws: errors and timeouts are outcomes to record on the attempt. */
  run(source: string, event: unknown, context: TransformContext): Promise<TransformOutcome> {
    const timeout: TransformOutcome = { kind: 'error', error: `transform: timeout: ran over ${this.limits.timeoutMs} ms` };
    return this.#call({ op: 'run', source, event, context }, timeout) as Promise<TransformOutcome>;
  }

  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    await thread?.terminate();
  }

  #call(message: Record<string, unknown>, onTimeout: unknown): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const pending: Pending = { message, onTimeout, resolve, timer: undefined };
      this.#pending.set(id, pending);
      try {
        this.#send(id, pending);
      } catch (err) {
        this.#pending.delete(id);
        resolve({ kind: 'error', error: `transform: the sandbox could not start (${(err as Error).message})` });
      }
    });
  }

  /**
   * Posts a call to the thread. Calls queue there: each one's deadline runs from when the
   * previous one ends at the latest, so its timer allows for those ahead of it.
   */
  #send(id: number, pending: Pending): void {
    const thread = this.#start();
    clearTimeout(pending.timer);
    pending.timer = undefined;
    thread.postMessage({ id, ...pending.message });
    void this.#ready.then(() => {
      if (this.#thread !== thread || !this.#pending.has(id)) return;
      const ahead = [...this.#pending.keys()].filter((other) => other <= id).length;
      pending.timer = setTimeout(
        () => {
          this.#pending.delete(id);
          pending.resolve(pending.onTimeout);
          if (this.#thread === thread) this.#restart();
        },
        ahead * (this.limits.timeoutMs + GRACE_MS),
      );
      pending.timer.unref();
    });
  }

  #start(): Worker {
    if (this.#thread) return this.#thread;
    const thread = startThread(this.limits);
    thread.unref();
    let ready = () => {};
    this.#ready = new Promise((resolve) => {
      ready = resolve;
    });
    thread.on('message', ({ id, result, ready: isReady }: { id: number; result: unknown; ready?: boolean }) => {
      if (isReady) return ready();
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(result);
    });
    // A thread that dies on its own (not terminated by #restart) fails the calls it held.
    const fail = (why: string) => {
      if (this.#thread !== thread) return;
      this.#thread = undefined;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        clearTimeout(pending.timer);
        pending.resolve({ kind: 'error', error: `transform: the sandbox stopped (${why})` });
      }
    };
    thread.on('error', (err) => fail(err.message));
    thread.on('exit', (code) => fail(`exit ${code}`));
    this.#thread = thread;
    return thread;
  }

  /** Ends a thread stuck in a call; the calls queued behind it go to a fresh thread. */
  #restart(): void {
    const thread = this.#thread;
    this.#thread = undefined;
    void thread?.terminate();
    for (const [id, pending] of [...this.#pending].sort(([a], [b]) => a - b)) this.#send(id, pending);
  }
}
