import { newQuickJSWASMModule, type QuickJSContext, type QuickJSWASMModule, shouldInterruptAfterDeadline } from 'quickjs-emscripten';
import { MAX_TRANSFORM_BYTES, type SandboxLimits, type TransformContext, type TransformOutcome } from './transform-types.ts';

/**
 * Transformations (CONTRACT §8): tenant JavaScript, `function transform(event, context)`,
 * run in QuickJS compiled to WebAssembly. Why QuickJS-in-WASM: node:vm shares the host's
 * heap and realm plumbing and is documented as no security boundary (prototype tricks reach
 * `process`); isolated-vm is a native addon (a compiler at install, a binary per Node
 * version) and still runs V8 in our process. QuickJS runs inside a WebAssembly instance
 * whose memory is its own: the guest has no host objects at all, only what we copy in as a
 * JSON string, and gets a JSON string back. Each call gets a fresh runtime (its own heap,
 * memory limit, stack limit and deadline), so nothing one call leaves behind (a polluted
 * prototype, a global) reaches the next; creating one costs well under a millisecond.
 */

/** Largest body a transform may produce. */
const MAX_OUTPUT_BYTES = 5 * 1024 * 1024;
// Larger than this overflows the WebAssembly host stack before QuickJS notices.
const STACK_BYTES = 256 * 1024;

/**
 * Headers a transform may not set: Hookline's signature and identity headers (the
 * receiver's verification rests on them) and those the HTTP client owns.
 */
const RESERVED_HEADER = /^(webhook-|hookline-|content-length$|content-type$|host$|transfer-encoding$|connection$|user-agent$)/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

const CALL = `(function () {
  if (typeof transform !== 'function') throw new TypeError('the source must define function transform(event, context)');
  const input = JSON.parse(globalThis.__hookline_input);
  delete globalThis.__hookline_input;
  const result = transform(input.event, input.context);
  return result === undefined ? undefined : JSON.stringify(result);
})()`;

/**
 * The sandbox itself, run on the thread of sandbox-thread.ts (use TransformRunner): a call
 * blocks its thread until it ends, and under memory pressure QuickJS checks its deadline
 * only every so often.
 */
export class TransformSandbox {
  #module: Promise<QuickJSWASMModule> | undefined;

  constructor(readonly limits: SandboxLimits) {}

  /** Why the source is refused (it does not compile or defines no `transform` function), or null. */
  async check(source: string): Promise<string | null> {
    if (Buffer.byteLength(source) > MAX_TRANSFORM_BYTES) return `transform is over ${MAX_TRANSFORM_BYTES} bytes`;
    const result = await this.#withContext((vm) => {
      const defined = vm.evalCode(source, 'transform.js');
      if (defined.error) return errorText(vm, defined.error, this.limits);
      defined.value.dispose();
      const kind = vm.evalCode('typeof transform');
      if (kind.error) return errorText(vm, kind.error, this.limits);
      const type = vm.getString(kind.value);
      kind.value.dispose();
      return type === 'function' ? null : 'the source must define function transform(event, context)';
    });
    return result === null ? null : `transform: ${result}`;
  }

  /** Runs the transform on one event. Never throws: a failure is an outcome to record. */
  async run(source: string, event: unknown, context: TransformContext): Promise<TransformOutcome> {
    let output: { text: string | undefined } | string;
    try {
      output = await this.#withContext((vm) => {
        const defined = vm.evalCode(source, 'transform.js');
        if (defined.error) return errorText(vm, defined.error, this.limits);
        defined.value.dispose();
        const input = vm.newString(JSON.stringify({ event, context }));
        vm.setProp(vm.global, '__hookline_input', input);
        input.dispose();
        const called = vm.evalCode(CALL, 'hookline-call.js');
        if (called.error) return errorText(vm, called.error, this.limits);
        const text = vm.typeof(called.value) === 'string' ? vm.getString(called.value) : undefined;
        called.value.dispose();
        return { text };
      });
    } catch (err) {
      return { kind: 'error', error: `transform: the sandbox failed (${(err as Error).message})` };
    }
    if (typeof output === 'string') return { kind: 'error', error: `transform: ${output}` };
    return interpret(output.text);
  }

  async #withContext<T>(use: (vm: QuickJSContext) => T): Promise<T> {
    const module = await this.#load();
    try {
      const runtime = module.newRuntime();
      try {
        runtime.setMemoryLimit(this.limits.memoryBytes);
        runtime.setMaxStackSize(STACK_BYTES);
        runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + this.limits.timeoutMs));
        const vm = runtime.newContext();
        try {
          return use(vm);
        } finally {
          vm.dispose();
        }
      } finally {
        runtime.dispose();
      }
    } catch (err) {
      // The WebAssembly instance may be left inconsistent (an abort in the interpreter):
      // the next call starts a fresh one rather than reuse it.
      this.#module = undefined;
      throw err;
    }
  }

  #load(): Promise<QuickJSWASMModule> {
    if (!this.#module) {
      const loading = newQuickJSWASMModule();
      this.#module = loading;
      loading.catch(() => {
        if (this.#module === loading) this.#module = undefined;
      });
    }
    return this.#module;
  }
}

/** The guest's exception as text; the deadline and the memory limit get words of their own. */
function errorText(vm: QuickJSContext, handle: { dispose(): void }, limits: SandboxLimits): string {
  let dumped: unknown;
  try {
    dumped = vm.dump(handle as never);
  } catch {
    dumped = 'InternalError: out of memory';
  } finally {
    handle.dispose();
  }
  const { name, message } =
    dumped && typeof dumped === 'object' ? (dumped as { name?: unknown; message?: unknown }) : { name: undefined, message: String(dumped) };
  const text = `${name ? `${String(name)}: ` : ''}${String(message ?? dumped)}`;
  if (/interrupted/i.test(text)) return `timeout: ran over ${limits.timeoutMs} ms`;
  if (/out of memory/i.test(text)) return `out of memory: used more than ${Math.round(limits.memoryBytes / 1024 / 1024)} MB`;
  if (/stack overflow/i.test(text)) return 'stack overflow';
  return text.slice(0, 1000);
}

/** The transform's return value: a body object, `{body, headers}`, or null to skip. */
function interpret(text: string | undefined): TransformOutcome {
  if (text === undefined) return { kind: 'error', error: 'transform: returned undefined (return null to skip the event)' };
  if (text.length > MAX_OUTPUT_BYTES) return { kind: 'error', error: `transform: output is over ${MAX_OUTPUT_BYTES} bytes` };
  const value = JSON.parse(text) as unknown;
  if (value === null) return { kind: 'skip' };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'error', error: 'transform: must return an object (the body), {body, headers}, or null' };
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const wrapped = keys.includes('body') && keys.every((k) => k === 'body' || k === 'headers');
  if (!wrapped) return { kind: 'send', body: text, headers: {} };
  const { body, headers = {} } = record;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { kind: 'error', error: 'transform: body must be an object' };
  }
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    return { kind: 'error', error: 'transform: headers must be an object of strings' };
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(headers as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) return { kind: 'error', error: `transform: ${JSON.stringify(name)} is not a header name` };
    if (RESERVED_HEADER.test(lower)) return { kind: 'error', error: `transform: header ${lower} is set by Hookline` };
    if (typeof v !== 'string' || /[\r\n\0]/.test(v) || v.length > 8192) {
      return { kind: 'error', error: `transform: header ${lower} must be a string without line breaks` };
    }
    out[lower] = v;
  }
  return { kind: 'send', body: JSON.stringify(body), headers: out };
}
