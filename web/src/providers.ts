import catalogue from './providers.generated.json';

/** Display names, secret notes and event catalogues, generated from packages/providers (scripts/providers.ts). */
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

/**
 * How to point a provider at Hookline: where its dashboard takes a webhook URL. This is UI
 * copy only (the catalogue's secretHelp says where the secret is).
 */
export const SETUP_STEPS: Record<string, readonly string[]> = {
  mux: [
    'In the Mux dashboard, open Settings → Webhooks and pick the environment whose events you want.',
    'Click "Create new webhook" and paste the ingest URL as the "URL to notify".',
    'Save, then click "Show Signing Secret" on the new webhook and paste it here if you have not yet.',
  ],
  fastpix: [
    'In the FastPix dashboard, open the webhook settings and add a new webhook.',
    'Paste the ingest URL and choose the events to send.',
    'FastPix checks the URL with an empty request; it shows up here as a "probe". Copy the signing secret it shows into this source.',
  ],
  stripe: [
    'In the Stripe Dashboard, open Developers → Webhooks and add an endpoint.',
    'Paste the ingest URL as the endpoint URL and select the events to send.',
    "Reveal the endpoint's signing secret (whsec_…) and paste it into this source.",
  ],
  github: [
    'In the repository or organization, open Settings → Webhooks → Add webhook.',
    'Paste the ingest URL as the Payload URL and choose "application/json" as the content type.',
    'Type the same secret you gave this source into the Secret field, then pick the events.',
  ],
  shopify: [
    'In the shop admin, open Settings → Notifications → Webhooks → Create webhook (or add the subscription in your app).',
    'Choose JSON as the format and paste the ingest URL.',
    "Paste the signing key (the app's client secret, or the key shown under the shop's webhooks) into this source.",
  ],
  'standard-webhooks': [
    "In the sender's dashboard, add an endpoint and paste the ingest URL.",
    "Copy the endpoint's signing secret (whsec_…) into this source.",
  ],
  hmac: [
    'Configure the sender to POST JSON to the ingest URL.',
    'Make sure it signs with the same secret, header and algorithm you set on this source.',
  ],
};
