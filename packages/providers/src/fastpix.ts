import { FASTPIX_EVENTS } from './catalogue/fastpix.ts';
import { videoEventType } from './catalogue/video.ts';
import { asRecord, asString, canonicalObjectType, environmentRef, firstInstant } from './fields.ts';
import { bodyDigest } from './hmac.ts';
import { type HmacScheme, verifyHmac } from './hmac-scheme.ts';
import type { EnvironmentRef, HeaderMap, ObjectRef, Provider } from './types.ts';

/**
 * `FastPix-Signature`: base64 HMAC-SHA256 of the raw body keyed with the base64-decoded
 * signing secret. Nothing time-based is signed, so deduplication on the event id is the only
 * replay defence.
 */
export const FASTPIX_SCHEME: HmacScheme = {
  header: 'fastpix-signature',
  format: { kind: 'single' },
  algorithm: 'sha256',
  encoding: 'base64',
  secretEncoding: 'base64',
  template: '{body}',
};

const CANONICAL = new Map(FASTPIX_EVENTS.map((e) => [e.type, e.canonical]));

/**
 * FastPix's type in Mux's vocabulary: the documented mappings first, then media → asset for
 * any other `video.media.*` type that has a Mux twin; otherwise FastPix's own name.
 */
export function fastpixCanonicalType(type: string): string {
  const mapped = CANONICAL.get(type);
  if (mapped) return mapped;
  if (type.startsWith('video.media.')) {
    const twin = `video.asset.${type.slice('video.media.'.length)}`;
    if (videoEventType(twin)) return twin;
  }
  return type;
}

/** Sources disagree on `object.type` vs `object.name`; when FastPix sends no object, the data's own id stands in. */
function fastpixObject(parsed: Record<string, unknown>, canonicalType: string): ObjectRef | null {
  const obj = asRecord(parsed.object);
  const kind = obj && (asString(obj.type) ?? asString(obj.name));
  if (obj && kind) return { type: canonicalObjectType(kind), id: asString(obj.id) };
  const data = asRecord(parsed.data);
  const objectType = videoEventType(canonicalType)?.objectType;
  if (!data || !objectType) return null;
  const id =
    objectType === 'upload'
      ? (asString(data.uploadId) ?? asString(data.id))
      : (asString(data.id) ?? asString(data.streamId) ?? asString(data.simulcastId) ?? asString(data.uploadId));
  return { type: objectType, id };
}

function fastpixEnvironment(parsed: Record<string, unknown>): EnvironmentRef | null {
  const env = environmentRef(parsed.workspace) ?? environmentRef(parsed.Workspace) ?? environmentRef(parsed.environment);
  if (env) return env;
  const workspaceId = asString(asRecord(parsed.data)?.workspaceId);
  return workspaceId ? { id: workspaceId, name: null } : null;
}

const EMPTY_OBJECT = /^[ \t\r\n]*\{[ \t\r\n]*\}[ \t\r\n]*$/;

export const fastpix: Provider = {
  id: 'fastpix',
  displayName: 'FastPix',
  secretHelp:
    "The signing secret FastPix shows for this webhook in its dashboard's webhook settings (a base64 string): paste it exactly as shown.",
  setupSteps: [
    'In the FastPix dashboard, open Settings → Webhooks and click "Create new webhook".',
    'Choose the workspace, paste the ingest URL as the URL to notify, and create it. FastPix first checks the URL with an unsigned {} request: it shows up in the live log as a probe.',
    "Copy the webhook's signing secret (a base64 string) and paste it into this source.",
  ],
  events: FASTPIX_EVENTS,
  verify: (request) => verifyHmac(FASTPIX_SCHEME, request),
  isProbe(body: Buffer, headers: HeaderMap) {
    // FastPix checks a URL with an unsigned `{}` when it is added; a signed body is never a probe.
    return !headers['fastpix-signature'] && body.length <= 64 && EMPTY_OBJECT.test(body.toString('utf8'));
  },
  normalize(parsed, members, _headers, body) {
    const providerType = asString(parsed.type) ?? 'unknown';
    const type = fastpixCanonicalType(providerType);
    return {
      type,
      providerEventId: asString(parsed.id) ?? bodyDigest(body),
      providerEventType: providerType,
      occurredAt: firstInstant(parsed.createdAt, parsed.occurredAt, parsed.created_at),
      object: fastpixObject(parsed, type),
      environment: fastpixEnvironment(parsed),
      dataJson: members.get('data') ?? 'null',
    };
  },
};
