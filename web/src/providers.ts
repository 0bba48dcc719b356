import catalogue from './providers.generated.json';

/**
 * Display names, secret notes, dashboard setup steps (`setupSteps`: where the provider takes the
 * ingest URL) and event catalogues, generated from packages/providers (scripts/providers.ts).
 */
export type ProviderInfo = (typeof catalogue.providers)[number];

export const PROVIDERS: readonly ProviderInfo[] = catalogue.providers;
export const HMAC_OPTIONS = catalogue.hmac;

export function provider(id: string): ProviderInfo | undefined {
  return PROVIDERS.find((p) => p.id === id);
}

export function providerName(id: string): string {
  return provider(id)?.displayName ?? id;
}

/** Canonical event types across every provider, for filters and destination type pickers. */
export const KNOWN_TYPES: readonly string[] = [...new Set(PROVIDERS.flatMap((p) => p.events.map((e) => e.canonical)))].sort();

/** The globs a destination filter suggests: video.asset.*, video.upload.*, … */
export const KNOWN_GLOBS: readonly string[] = [
  ...new Set(
    KNOWN_TYPES.flatMap((t) => {
      const parts = t.split('.');
      return parts.length > 2 ? [`${parts.slice(0, -1).join('.')}.*`] : [];
    }),
  ),
].sort();

export function describeType(type: string): string | undefined {
  for (const p of PROVIDERS) {
    const e = p.events.find((x) => x.canonical === type);
    if (e) return e.description;
  }
  return undefined;
}
