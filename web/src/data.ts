import { useEffect, useState } from 'preact/hooks';
import { api, type Destination, listAll, type Source } from './api.ts';

/** A list the whole app shares (sources, destinations): loaded once, reloaded after changes. */
export class Resource<T> {
  value: T | undefined;
  error: unknown;
  loading = false;
  private listeners = new Set<() => void>();
  private inflight: Promise<void> | undefined;

  constructor(private readonly fetcher: () => Promise<T>) {}

  load(): Promise<void> {
    this.inflight ??= (async () => {
      this.loading = true;
      this.emit();
      try {
        this.value = await this.fetcher();
        this.error = undefined;
      } catch (err) {
        this.error = err;
      } finally {
        this.loading = false;
        this.inflight = undefined;
        this.emit();
      }
    })();
    return this.inflight;
  }

  reset() {
    this.value = undefined;
    this.error = undefined;
    this.emit();
  }

  subscribe(listener: () => void) {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit() {
    for (const listener of this.listeners) listener();
  }
}

export function useResource<T>(resource: Resource<T>) {
  const [, setTick] = useState(0);
  useEffect(() => {
    const off = resource.subscribe(() => setTick((n) => n + 1));
    // Show what is known at once, and refresh it: counts and lists change behind the page's back.
    void resource.load();
    return off;
  }, [resource]);
  return { value: resource.value, error: resource.error, loading: resource.loading, reload: () => resource.load() };
}

export const sources = new Resource<Source[]>(() => listAll((cursor) => api.get('/v1/sources', { query: { limit: 100, cursor } })));
export const destinations = new Resource<Destination[]>(() =>
  listAll((cursor) => api.get('/v1/destinations', { query: { limit: 100, cursor } })),
);

export function resetAll() {
  sources.reset();
  destinations.reset();
}

/** Tenant and user as the login answered them (there is no "who am I" call). */
export interface Me {
  email: string;
  tenant: string;
}
const ME_KEY = 'hookline.me';
export function loadMe(): Me | null {
  try {
    return JSON.parse(localStorage.getItem(ME_KEY) ?? 'null') as Me | null;
  } catch {
    return null;
  }
}
export function saveMe(me: Me | null) {
  if (me) localStorage.setItem(ME_KEY, JSON.stringify(me));
  else localStorage.removeItem(ME_KEY);
}
