// What the transform sandbox takes and gives, apart from the sandbox itself (transform.ts), so
// the processes that only hand calls to its thread never load QuickJS.

export interface SandboxLimits {
  /** Wall time for one call (evaluating the source and running transform). */
  timeoutMs: number;
  /** Heap of one call's runtime. */
  memoryBytes: number;
}

/** Given to the transform as its second argument. */
export interface TransformContext {
  source_id: string;
  destination_id: string | null;
  attempt: number;
}

export type TransformOutcome =
  | { kind: 'send'; body: string; headers: Record<string, string> }
  | { kind: 'skip' }
  | { kind: 'error'; error: string };

/** A transform that does not compile or does not define `transform`. */
export class InvalidTransformError extends Error {}

/** Larger sources are refused on write. */
export const MAX_TRANSFORM_BYTES = 65_536;
