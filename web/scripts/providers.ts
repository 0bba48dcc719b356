/**
 * Writes src/providers.generated.json from the provider modules (packages/providers), the one
 * source of truth for display names, "where to find the secret" notes, dashboard setup steps
 * and event catalogues.
 * The UI bundle cannot import those modules (they use node:crypto), so it gets their data.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DIGEST_ENCODINGS, HMAC_ALGORITHMS, PROVIDERS, type SecretEncoding } from '@hookline/providers';

// Not exported by the providers package; typed against it so a removed encoding fails here.
const SECRET_ENCODINGS: readonly SecretEncoding[] = ['utf8', 'base64', 'hex', 'whsec'];

export function providerCatalogue() {
  return {
    providers: [...PROVIDERS.values()].map((p) => ({
      id: p.id,
      displayName: p.displayName,
      secretHelp: p.secretHelp ?? null,
      setupSteps: p.setupSteps ?? [],
      takesSettings: typeof p.parseSettings === 'function',
      events: (p.events ?? []).map((e) => ({ type: e.type, canonical: e.canonical, description: e.description })),
    })),
    hmac: { algorithms: HMAC_ALGORITHMS, encodings: DIGEST_ENCODINGS, secretEncodings: SECRET_ENCODINGS },
  };
}

export const CATALOGUE_PATH = fileURLToPath(new URL('../src/providers.generated.json', import.meta.url));

/** Writes the catalogue only when it changed, so its time stays that of its sources. */
export function writeProviderCatalogue() {
  const text = `${JSON.stringify(providerCatalogue(), null, 2)}\n`;
  if (!existsSync(CATALOGUE_PATH) || readFileSync(CATALOGUE_PATH, 'utf8') !== text) writeFileSync(CATALOGUE_PATH, text);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) writeProviderCatalogue();
