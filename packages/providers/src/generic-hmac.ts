import { asInstant, asRecord, asString, bodyJson } from './fields.ts';
import { bodyDigest } from './hmac.ts';
import {
  DIGEST_ENCODINGS,
  type DigestEncoding,
  HMAC_ALGORITHMS,
  type HmacAlgorithm,
  type HmacScheme,
  parseTemplate,
  type SecretEncoding,
  verifyHmac,
} from './hmac-scheme.ts';
import type { HeaderMap, Provider, ProviderEvent } from './types.ts';

/** A generic HMAC source's settings, as stored (defaults filled in, header names lower-cased). */
export interface GenericHmacSettings {
  header: string;
  algorithm: HmacAlgorithm;
  encoding: DigestEncoding;
  prefix: string;
  template: string;
  secret_encoding: SecretEncoding;
  timestamp_header: string | null;
  tolerance_seconds: number | null;
  type_header: string | null;
  type_field: string;
  id_header: string | null;
  id_field: string;
}

const SECRET_ENCODINGS: readonly SecretEncoding[] = ['utf8', 'base64', 'hex', 'whsec'];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const FIELD_PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
const KEYS = [
  'header',
  'algorithm',
  'encoding',
  'prefix',
  'template',
  'secret_encoding',
  'timestamp_header',
  'tolerance_seconds',
  'type_header',
  'type_field',
  'id_header',
  'id_field',
] as const;

function optionalString(input: Record<string, unknown>, key: string): string | null {
  const value = input[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Error(`verification.${key} must be a string`);
  return value;
}

function headerName(input: Record<string, unknown>, key: string): string | null {
  const value = optionalString(input, key);
  if (value === null) return null;
  if (!HEADER_NAME.test(value)) throw new Error(`verification.${key} is not a valid header name`);
  return value.toLowerCase();
}

function oneOf<T extends string>(input: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T): T {
  const value = optionalString(input, key);
  if (value === null) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`verification.${key} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function fieldPath(input: Record<string, unknown>, key: string, fallback: string): string {
  const value = optionalString(input, key) ?? fallback;
  if (!FIELD_PATH.test(value)) throw new Error(`verification.${key} must be a dotted field path such as "type" or "event.type"`);
  return value;
}

/**
 * Validates a generic HMAC source's options: which header carries the signature, the
 * algorithm, the digest's encoding and prefix, and what is signed (a template over `{body}`,
 * `{timestamp}` and `{header:NAME}`). Idempotent, so stored settings parse to themselves.
 */
export function parseGenericHmacSettings(input: Record<string, unknown>): GenericHmacSettings {
  const unknown = Object.keys(input).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`unknown verification option ${unknown.join(', ')}; the options are secret, ${KEYS.join(', ')}`);
  const header = headerName(input, 'header');
  if (!header) throw new Error('verification.header is required: the header that carries the signature');
  const template = optionalString(input, 'template') ?? '{body}';
  if (template.length > 500) throw new Error('verification.template is too long');
  let usesTimestamp: boolean;
  try {
    usesTimestamp = parseTemplate(template).some((s) => s.kind === 'timestamp');
  } catch (err) {
    throw new Error(`verification.template: ${(err as Error).message}`);
  }
  const timestampHeader = headerName(input, 'timestamp_header');
  if (usesTimestamp && !timestampHeader) throw new Error('verification.timestamp_header is required when the template signs {timestamp}');
  let tolerance: number | null = null;
  if (input.tolerance_seconds !== undefined && input.tolerance_seconds !== null) {
    const value = input.tolerance_seconds;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 86_400) {
      throw new Error('verification.tolerance_seconds must be a whole number of seconds from 1 to 86400');
    }
    if (!timestampHeader) throw new Error('verification.tolerance_seconds needs verification.timestamp_header');
    tolerance = value;
  } else if (timestampHeader) tolerance = 300;
  const prefix = optionalString(input, 'prefix') ?? '';
  if (prefix.length > 50) throw new Error('verification.prefix is too long');
  return {
    header,
    algorithm: oneOf(input, 'algorithm', HMAC_ALGORITHMS, 'sha256'),
    encoding: oneOf(input, 'encoding', DIGEST_ENCODINGS, 'hex'),
    prefix,
    template,
    secret_encoding: oneOf(input, 'secret_encoding', SECRET_ENCODINGS, 'utf8'),
    timestamp_header: timestampHeader,
    tolerance_seconds: tolerance,
    type_header: headerName(input, 'type_header'),
    type_field: fieldPath(input, 'type_field', 'type'),
    id_header: headerName(input, 'id_header'),
    id_field: fieldPath(input, 'id_field', 'id'),
  };
}

/** The scheme a source's settings describe; both ways of a timestamp are bounded, as nothing else is known of the sender. */
export function genericHmacScheme(settings: GenericHmacSettings): HmacScheme {
  return {
    header: settings.header,
    format: { kind: 'single', prefix: settings.prefix },
    algorithm: settings.algorithm,
    encoding: settings.encoding,
    secretEncoding: settings.secret_encoding,
    template: settings.template,
    ...(settings.timestamp_header ? { timestampHeader: settings.timestamp_header } : {}),
    ...(settings.tolerance_seconds
      ? { toleranceSeconds: settings.tolerance_seconds, futureToleranceSeconds: settings.tolerance_seconds }
      : {}),
  };
}

function schemeOf(settings: Readonly<Record<string, unknown>>): HmacScheme | Error {
  try {
    return genericHmacScheme(parseGenericHmacSettings({ ...settings }));
  } catch (err) {
    return err as Error;
  }
}

function atPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) current = asRecord(current)?.[key];
  return current;
}

function settingsOf(raw: unknown): GenericHmacSettings | null {
  try {
    return parseGenericHmacSettings({ ...(asRecord(raw) ?? {}) });
  } catch {
    return null;
  }
}

export const genericHmac: Provider = {
  id: 'hmac',
  displayName: 'Generic HMAC',
  secretHelp:
    "The shared secret the sender signs with, exactly as the sender's settings show it (choose its encoding if it is base64 or hex).",
  setupSteps: [
    'Configure the sender to POST its webhooks to the ingest URL.',
    "Make sure it signs each request with this source's secret and sends the signature in the header, with the algorithm, digest encoding and prefix set on this source.",
  ],
  events: [],
  parseSettings: (input) => ({ ...parseGenericHmacSettings(input) }),
  verify(request) {
    const scheme = schemeOf(request.settings);
    if (scheme instanceof Error) return { ok: false, detail: `the source's verification settings are invalid: ${scheme.message}` };
    return verifyHmac(scheme, request);
  },
  normalize(parsed, _members, headers: HeaderMap, body, settings) {
    return normalizeGeneric(parsed, headers, body, settings ? settingsOf(settings) : null);
  },
};

/**
 * A generic source's event: its type and id from the configured header or payload field
 * (the `type` and `id` fields when the caller passes no settings), the whole body as `data`.
 */
export function normalizeGeneric(
  parsed: Record<string, unknown>,
  headers: HeaderMap,
  body: Buffer,
  settings: GenericHmacSettings | null,
): ProviderEvent {
  const type =
    (settings?.type_header ? asString(headers[settings.type_header]) : null) ??
    asString(atPath(parsed, settings?.type_field ?? 'type')) ??
    'unknown';
  const id = (settings?.id_header ? asString(headers[settings.id_header]) : null) ?? asString(atPath(parsed, settings?.id_field ?? 'id'));
  const sentAt = settings?.timestamp_header ? Number(headers[settings.timestamp_header]) : Number.NaN;
  return {
    type,
    providerEventId: id ?? bodyDigest(body),
    providerEventType: type,
    occurredAt: Number.isFinite(sentAt) ? asInstant(sentAt) : null,
    object: null,
    environment: null,
    dataJson: bodyJson(body),
  };
}
