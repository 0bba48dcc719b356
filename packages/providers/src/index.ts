import { mux } from './mux.ts';
import type { Provider } from './types.ts';

export * from './envelope.ts';
export * from './json-members.ts';
export { mux, verifyMuxSignature } from './mux.ts';
export * from './types.ts';

/** Every provider a source can use, by id. Adding one is a module here plus its fixtures. */
export const PROVIDERS: ReadonlyMap<string, Provider> = new Map([mux].map((p) => [p.id, p]));

export function getProvider(id: string): Provider | undefined {
  return PROVIDERS.get(id);
}
