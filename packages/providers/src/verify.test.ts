import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { schemeFor, signedHeaders, TEST_SECRETS } from './fixtures.ts';
import { parseTemplate, verifyHmac } from './hmac-scheme.ts';
import { getProvider } from './index.ts';
import type { HeaderMap } from './types.ts';

const VECTORS = fileURLToPath(new URL('../../../fixtures/vectors', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);
const BODY = Buffer.from('{"type":"thing.happened","id":"evt_1","data":{"name":"café ☕","n":1.50}}');

const GENERIC_PLAIN = { header: 'X-Signature', prefix: 'sha256=' };
const GENERIC_TIMED = {
  header: 'X-Sig',
  algorithm: 'sha512',
  encoding: 'base64',
  template: '{timestamp}.{header:x-request-id}.{body}',
  timestamp_header: 'X-Timestamp',
  tolerance_seconds: 60,
};

interface Case {
  name: string;
  provider: string;
  settings: Record<string, unknown>;
  headers?: Record<string, string>;
  secret: string;
  otherSecret: string;
  /** Seconds of tolerance for old timestamps, for schemes that sign one. */
  tolerance?: number;
  /** Whether future timestamps are bounded too. */
  futureBounded?: boolean;
}

const CASES: Case[] = [
  { name: 'mux', provider: 'mux', settings: {}, secret: TEST_SECRETS.mux!, otherSecret: 'rotated-mux-secret', tolerance: 300 },
  {
    name: 'fastpix',
    provider: 'fastpix',
    settings: {},
    secret: TEST_SECRETS.fastpix!,
    otherSecret: Buffer.from('rotated-fastpix-secret').toString('base64'),
  },
  {
    name: 'standard-webhooks',
    provider: 'standard-webhooks',
    settings: {},
    headers: { 'webhook-id': 'msg_2pQ7rT4nVb8kM2xZ' },
    secret: TEST_SECRETS['standard-webhooks']!,
    otherSecret: 'whsec_cm90YXRlZC1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQ=',
    tolerance: 300,
    futureBounded: true,
  },
  { name: 'stripe', provider: 'stripe', settings: {}, secret: TEST_SECRETS.stripe!, otherSecret: 'whsec_rotated', tolerance: 300 },
  { name: 'github', provider: 'github', settings: {}, secret: TEST_SECRETS.github!, otherSecret: 'rotated github secret' },
  { name: 'shopify', provider: 'shopify', settings: {}, secret: TEST_SECRETS.shopify!, otherSecret: 'shpss_rotated' },
  {
    name: 'hmac (prefixed hex sha256)',
    provider: 'hmac',
    settings: GENERIC_PLAIN,
    secret: 'generic-secret',
    otherSecret: 'rotated-generic',
  },
  {
    name: 'hmac (timed template, base64 sha512)',
    provider: 'hmac',
    settings: GENERIC_TIMED,
    headers: { 'x-request-id': 'req_42' },
    secret: 'generic-secret',
    otherSecret: 'rotated-generic',
    tolerance: 60,
    futureBounded: true,
  },
];

function verify(c: Case, body: Buffer, headers: HeaderMap, secrets: string[], nowMs = NOW) {
  const provider = getProvider(c.provider)!;
  const settings = provider.parseSettings ? provider.parseSettings(c.settings) : c.settings;
  return provider.verify({ body, headers, secrets, nowMs, settings });
}

function sign(c: Case, options: { secrets?: string[]; nowMs?: number; body?: Buffer } = {}) {
  return signedHeaders(c.provider, options.body ?? BODY, {
    secrets: options.secrets ?? [c.secret],
    nowMs: options.nowMs ?? NOW,
    settings: c.settings,
    ...(c.headers ? { headers: c.headers } : {}),
  });
}

describe.each(CASES.map((c) => [c.name, c] as const))('%s verifier', (_name, c) => {
  const header = schemeFor(c.provider, c.settings).header;

  it('accepts a correctly signed request', () => {
    expect(verify(c, BODY, sign(c), [c.secret])).toEqual({ ok: true });
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from(BODY);
    const at = tampered.length - 3;
    tampered[at] = (tampered[at] as number) ^ 1;
    expect(verify(c, tampered, sign(c), [c.secret]).ok).toBe(false);
    expect(verify(c, Buffer.concat([BODY, Buffer.from(' ')]), sign(c), [c.secret]).ok).toBe(false);
  });

  it('rejects a wrong secret', () => {
    expect(verify(c, BODY, sign(c), [c.otherSecret])).toMatchObject({ ok: false });
  });

  it('rejects a missing or empty signature header', () => {
    const headers = sign(c);
    const { [header]: _dropped, ...without } = headers;
    expect(verify(c, BODY, without, [c.secret])).toEqual({ ok: false, detail: `missing ${header} header` });
    expect(verify(c, BODY, { ...headers, [header]: '' }, [c.secret]).ok).toBe(false);
  });

  it('rejects a truncated or re-encoded signature', () => {
    const headers = sign(c);
    const value = headers[header] as string;
    expect(verify(c, BODY, { ...headers, [header]: value.slice(0, -2) }, [c.secret]).ok).toBe(false);
    expect(verify(c, BODY, { ...headers, [header]: `${value}00` }, [c.secret]).ok).toBe(false);
  });

  it('accepts the previous secret during a rotation, and only then', () => {
    const headers = sign(c, { secrets: [c.secret] });
    expect(verify(c, BODY, headers, [c.otherSecret, c.secret])).toEqual({ ok: true });
    expect(verify(c, BODY, headers, [c.otherSecret]).ok).toBe(false);
  });

  if (c.provider === 'mux' || c.provider === 'stripe' || c.provider === 'standard-webhooks') {
    it('accepts a header carrying several signatures when one matches (sender-side rotation)', () => {
      const headers = sign(c, { secrets: [c.otherSecret, c.secret] });
      expect(verify(c, BODY, headers, [c.secret])).toEqual({ ok: true });
      expect(verify(c, BODY, headers, ['neither']).ok).toBe(false);
    });
  }

  if (c.tolerance !== undefined) {
    const tolerance = c.tolerance;
    it(`enforces the ${tolerance} s tolerance on old timestamps`, () => {
      const signedAt = NOW - tolerance * 1000;
      expect(verify(c, BODY, sign(c, { nowMs: signedAt }), [c.secret])).toEqual({ ok: true });
      const stale = verify(c, BODY, sign(c, { nowMs: signedAt - 1000 }), [c.secret]);
      expect(stale).toEqual({ ok: false, detail: `timestamp is ${tolerance + 1} s old (tolerance ${tolerance} s)` });
    });

    it(c.futureBounded ? 'rejects timestamps too far in the future' : 'accepts future timestamps, as the provider library does', () => {
      const ahead = verify(c, BODY, sign(c, { nowMs: NOW + (tolerance + 1) * 1000 }), [c.secret]);
      expect(ahead.ok).toBe(!c.futureBounded);
      expect(verify(c, BODY, sign(c, { nowMs: NOW + tolerance * 1000 }), [c.secret])).toEqual({ ok: true });
    });

    it('rejects a signature moved onto another timestamp', () => {
      const headers = sign(c);
      const shifted = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, v.replaceAll(String(Math.floor(NOW / 1000)), String(Math.floor(NOW / 1000) - 1))]),
      );
      expect(verify(c, BODY, shifted, [c.secret]).ok).toBe(false);
    });
  }
});

describe('FastPix against fixtures/fastpix/_signatures.json', () => {
  const dir = join(FIXTURES, 'fastpix');
  const vectors = JSON.parse(readFileSync(join(dir, '_signatures.json'), 'utf8')) as {
    secret_base64: string;
    signatures: Record<string, string>;
  };
  // The fixtures that came signed (a subset of this folder).
  const files = Object.keys(vectors.signatures).sort();
  const fastpix = getProvider('fastpix')!;
  const check = (body: Buffer, signature: string, secret: string) =>
    fastpix.verify({ body, headers: { 'fastpix-signature': signature }, secrets: [secret], nowMs: NOW, settings: {} }).ok;

  it('signs fixtures that are here', () => {
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => !readdirSync(dir).includes(f))).toEqual([]);
  });

  it.each(files)('%s', (file) => {
    const body = readFileSync(join(dir, file));
    const signature = vectors.signatures[file] as string;
    expect(check(body, signature, vectors.secret_base64)).toBe(true);
    expect(check(body, signature, Buffer.from('another-secret').toString('base64'))).toBe(false);
    expect(check(Buffer.concat([body, Buffer.from('\n')]), signature, vectors.secret_base64)).toBe(false);
  });

  it('keys the HMAC with the decoded secret, not its base64 text', () => {
    const body = readFileSync(join(dir, files[0] as string));
    const signature = vectors.signatures[files[0] as string] as string;
    const asText = getProvider('hmac')!;
    const settings = asText.parseSettings!({ header: 'fastpix-signature', encoding: 'base64' });
    const headers = { 'fastpix-signature': signature };
    expect(asText.verify({ body, headers, secrets: [vectors.secret_base64], nowMs: NOW, settings }).ok).toBe(false);
    const decoded = asText.parseSettings!({ header: 'fastpix-signature', encoding: 'base64', secret_encoding: 'base64' });
    expect(asText.verify({ body, headers, secrets: [vectors.secret_base64], nowMs: NOW, settings: decoded }).ok).toBe(true);
  });
});

describe('Standard Webhooks against the standardwebhooks package', () => {
  const provider = getProvider('standard-webhooks')!;
  afterEach(() => {
    vi.useRealTimers();
  });

  const vectors = JSON.parse(readFileSync(join(VECTORS, 'standard-webhooks.json'), 'utf8')) as {
    verify_at_unix_offset_s: number;
    vectors: { name: string; secret: string; id: string; timestamp: number; body: string; signature: string; valid: boolean }[];
  };

  it.each(vectors.vectors.map((v) => [v.name, v] as const))('shared vector %s: ours and the package agree', (_name, v) => {
    const headers = { 'webhook-id': v.id, 'webhook-timestamp': String(v.timestamp), 'webhook-signature': v.signature };
    const nowMs = (v.timestamp + vectors.verify_at_unix_offset_s) * 1000;
    vi.useFakeTimers();
    vi.setSystemTime(nowMs);
    let theirs = true;
    try {
      new Webhook(v.secret).verify(v.body, headers);
    } catch {
      theirs = false;
    }
    const ours = provider.verify({ body: Buffer.from(v.body), headers, secrets: [v.secret], nowMs, settings: {} }).ok;
    expect({ theirs, ours }).toEqual({ theirs: v.valid, ours: v.valid });
  });

  it('accepts what the package signs', () => {
    const secret = TEST_SECRETS['standard-webhooks']!;
    const signature = new Webhook(secret).sign('msg_1', new Date(NOW), BODY.toString());
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': signature };
    expect(provider.verify({ body: BODY, headers, secrets: [secret], nowMs: NOW, settings: {} })).toEqual({ ok: true });
  });

  it('signs what the package accepts (the fixtures helper signs as senders do)', () => {
    const secret = TEST_SECRETS['standard-webhooks']!;
    const headers = signedHeaders('standard-webhooks', BODY, { secrets: [secret], nowMs: NOW, headers: { 'webhook-id': 'msg_2' } });
    vi.useFakeTimers();
    vi.setSystemTime(NOW + 10_000);
    expect(() => new Webhook(secret).verify(BODY.toString(), headers)).not.toThrow();
  });

  it('reads the svix-* header names of older Svix senders', () => {
    const secret = TEST_SECRETS['standard-webhooks']!;
    const signature = new Webhook(secret).sign('msg_3', new Date(NOW), BODY.toString());
    const headers = { 'svix-id': 'msg_3', 'svix-timestamp': String(NOW / 1000), 'svix-signature': signature };
    expect(provider.verify({ body: BODY, headers, secrets: [secret], nowMs: NOW, settings: {} })).toEqual({ ok: true });
  });

  it('ignores signatures of other versions', () => {
    const secret = TEST_SECRETS['standard-webhooks']!;
    const signature = new Webhook(secret).sign('msg_4', new Date(NOW), BODY.toString()).replace('v1,', 'v1a,');
    const headers = { 'webhook-id': 'msg_4', 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': signature };
    expect(provider.verify({ body: BODY, headers, secrets: [secret], nowMs: NOW, settings: {} })).toEqual({
      ok: false,
      detail: 'webhook-signature has no v1 signature',
    });
  });
});

describe('GitHub', () => {
  it("matches GitHub's documented example", () => {
    // docs.github.com, "Validating webhook deliveries": secret and payload given, signature published.
    const verdict = getProvider('github')!.verify({
      body: Buffer.from('Hello, World!'),
      headers: { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
      secrets: ["It's a Secret to Everybody"],
      nowMs: NOW,
      settings: {},
    });
    expect(verdict).toEqual({ ok: true });
  });

  it('requires the sha256= prefix', () => {
    const headers = signedHeaders('github', BODY, { secrets: ['s'], nowMs: NOW });
    const bare = (headers['x-hub-signature-256'] as string).slice('sha256='.length);
    const verdict = getProvider('github')!.verify({
      body: BODY,
      headers: { 'x-hub-signature-256': bare },
      secrets: ['s'],
      nowMs: NOW,
      settings: {},
    });
    expect(verdict).toEqual({ ok: false, detail: 'x-hub-signature-256: signature does not start with "sha256="' });
  });
});

describe('signing templates', () => {
  it('splits text and placeholders', () => {
    expect(parseTemplate('{timestamp}.{header:X-Id}.{body}')).toEqual([
      { kind: 'timestamp' },
      { kind: 'text', text: '.' },
      { kind: 'header', name: 'x-id' },
      { kind: 'text', text: '.' },
      { kind: 'body' },
    ]);
  });

  it.each([
    ['{timestamp}.', 'exactly once'],
    ['{body}{body}', 'exactly once'],
    ['{id}.{body}', 'unknown placeholder'],
    ['{header:}.{body}', 'unknown placeholder'],
  ])('refuses %j', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(message);
  });

  it('fails closed when a header the template signs is missing', () => {
    const scheme = schemeFor('hmac', GENERIC_TIMED);
    const headers = signedHeaders('hmac', BODY, { secrets: ['k'], nowMs: NOW, settings: GENERIC_TIMED, headers: { 'x-request-id': 'r' } });
    const { 'x-request-id': _id, ...rest } = headers;
    expect(verifyHmac(scheme, { body: BODY, headers: rest, secrets: ['k'], nowMs: NOW, settings: {} })).toEqual({
      ok: false,
      detail: 'missing x-request-id header',
    });
  });

  it('rejects an unreadable timestamp', () => {
    const scheme = schemeFor('hmac', GENERIC_TIMED);
    const headers = signedHeaders('hmac', BODY, { secrets: ['k'], nowMs: NOW, settings: GENERIC_TIMED, headers: { 'x-request-id': 'r' } });
    expect(
      verifyHmac(scheme, { body: BODY, headers: { ...headers, 'x-timestamp': 'soon' }, secrets: ['k'], nowMs: NOW, settings: {} }),
    ).toEqual({
      ok: false,
      detail: 'x-timestamp timestamp is not a number',
    });
  });
});
