/** Request headers as ingest sees them: lower-case names, one string value each. */
export type HeaderMap = Readonly<Record<string, string | undefined>>;

export interface VerifyRequest {
  /** The raw body, byte for byte as received. */
  body: Buffer;
  headers: HeaderMap;
  /** Every secret valid now: the current one first, then one in its rotation grace period. */
  secrets: readonly string[];
  /** Injectable clock (ms since epoch), so tests pin time instead of sleeping. */
  nowMs: number;
  /** The source's verification settings beyond the secret (see Provider.parseSettings). */
  settings: Readonly<Record<string, unknown>>;
}

export type VerifyResult = { ok: true } | { ok: false; detail: string };

export interface ObjectRef {
  type: string;
  id: string | null;
}

export interface EnvironmentRef {
  id: string | null;
  name: string | null;
}

/** What a provider extracts from one verified, parsed payload. */
export interface ProviderEvent {
  /** Canonical type (Mux's vocabulary for video events; the provider's own otherwise). */
  type: string;
  providerEventId: string;
  providerEventType: string;
  occurredAt: string | null;
  object: ObjectRef | null;
  environment: EnvironmentRef | null;
  /** The provider's data member as its exact source text (`null` when absent). */
  dataJson: string;
}

/** One event type a provider documents, and what Hookline normalizes it to. */
export interface EventTypeInfo {
  /** The provider's own name for the event. */
  type: string;
  /** The canonical `type` of the normalized event (CONTRACT §3). */
  canonical: string;
  description: string;
  /** Canonical object type the event is about (`asset`, `upload`, …); null when it is about no one object. */
  objectType: string | null;
}

export interface Provider {
  id: string;
  displayName: string;
  /** Where a tenant finds the signing secret in the provider's dashboard (shown next to the secret field). */
  secretHelp?: string;
  /**
   * How to point the provider at a source: the steps in its dashboard that take the ingest
   * URL (and show the secret), in order, for the UI's setup notes. Plain sentences.
   */
  setupSteps?: readonly string[];
  /**
   * The event types the provider documents, for docs and the UI. Not a filter: types outside
   * it are accepted, stored and delivered under the provider's name.
   */
  events?: readonly EventTypeInfo[];
  /**
   * Validates a source's verification options other than `secret` (a generic HMAC source's
   * header, algorithm, encoding, template…) and returns what to store. Throws an Error whose
   * message is shown to the tenant. Providers without options leave it out, and then any
   * option is refused.
   */
  parseSettings?(input: Record<string, unknown>): Record<string, unknown>;
  /** Checks the signature over the raw bytes, in constant time. */
  verify(request: VerifyRequest): VerifyResult;
  /** A provider's unsigned reachability check (FastPix posts `{}` when a URL is added). */
  isProbe?(body: Buffer, headers: HeaderMap): boolean;
  /**
   * Maps the payload onto the normalized fields. `members` holds the exact source text of
   * each top-level member of the body; `parsed` is the same body parsed. `settings` are the
   * source's (as for verify); a generic HMAC source reads its type and id fields from them.
   */
  normalize(
    parsed: Record<string, unknown>,
    members: Map<string, string>,
    headers: HeaderMap,
    body: Buffer,
    settings?: Readonly<Record<string, unknown>>,
  ): ProviderEvent;
}
