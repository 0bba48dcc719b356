import { parentPort, workerData } from 'node:worker_threads';
import { TransformSandbox } from './transform.ts';
import type { SandboxLimits } from './transform-types.ts';

/** The sandbox's thread (see TransformRunner): one call at a time, in order. */
const sandbox = new TransformSandbox(workerData as SandboxLimits);
const port = parentPort as NonNullable<typeof parentPort>;

// Loads QuickJS before saying ready: deadlines count from then, not from the thread's start.
await sandbox.check('function transform() { return null; }');
port.postMessage({ ready: true });

port.on('message', async (call: { id: number; op: 'run' | 'check'; source: string; event?: unknown; context?: never }) => {
  const result = call.op === 'check' ? await sandbox.check(call.source) : await sandbox.run(call.source, call.event, call.context as never);
  port.postMessage({ id: call.id, result });
});
