import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@hookline/testing';
import { Webhook } from 'standardwebhooks';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type HooklineEvent, sign, verify, WebhookVerificationError, type WebhookVerificationReason } from '../src/index.ts';

interface Vector {
  name: string;
  secret: string;
  id: string;
  timestamp: number;
  body: string;
  signature: string;
  valid: boolean;
}

const VECTORS: { verify_at_unix_offset_s: number; vectors: Vector[] } = JSON.parse(
  readFileSync(join(REPO_ROOT, 'fixtures/vectors/standard-webhooks.json'), 'utf8'),
);
const SECRET = 'whsec_aG9va2xpbmUtdGVzdC1kZXN0aW5hdGlvbi1rZXktMzJi';
const T = 1763892000;
const at = (unix: number) => ({ now: () => new Date(unix * 1000) });
const headersOf = (v: Pick<Vector, 'id' | 'timestamp' | 'signature'>) => ({
  'webhook-id': v.id,
  'webhook-timestamp': String(v.timestamp),
  'webhook-signature': v.signature,
});

/** The reason verify() fails with, or 'ok'. */
function outcome(...args: Parameters<typeof verify>): WebhookVerificationReason | 'ok' {
  try {
    verify(...args);
    return 'ok';
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.reason;
    throw err;
  }
}

function failure(...args: Parameters<typeof verify>): WebhookVerificationError {
  try {
    verify(...args);
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err;
    throw err;
  }
  throw new Error('verify() passed');
}

const event = {
  id: 'evt_01JDQ3Z8M1V6Y2K9T4R7W0XABC',
  type: 'video.asset.ready',
  provider: 'mux',
  data: { id: 'a1', playback_ids: [{ id: 'p1', policy: 'public' }] },
};
const body = JSON.stringify(event);
const signed = sign(body, SECRET, { timestamp: new Date(T * 1000) });

describe('the shared Standard Webhooks vectors', () => {
  for (const vector of VECTORS.vectors) {
    it(`${vector.name}: ${vector.valid ? 'verifies' : 'is refused'}`, () => {
      const options = at(vector.timestamp + VECTORS.verify_at_unix_offset_s);
      if (vector.valid) {
        expect(verify(vector.body, headersOf(vector), vector.secret, options)).toEqual(JSON.parse(vector.body));
      } else {
        expect(outcome(vector.body, headersOf(vector), vector.secret, options)).toBe('bad_signature');
      }
    });
  }

  it('says when a header holds only other signature versions', () => {
    const vector = VECTORS.vectors.find((v) => v.name === 'v1a-only-is-not-v1')!;
    expect(failure(vector.body, headersOf(vector), vector.secret, at(vector.timestamp)).message).toMatch(
      /no v1 signature \(found only v1a\)/,
    );
  });
});

describe('sign() agrees with the standardwebhooks package', () => {
  for (const vector of VECTORS.vectors.filter((v) => v.valid)) {
    it(`${vector.name}: same signature`, () => {
      const reference = new Webhook(vector.secret).sign(vector.id, new Date(vector.timestamp * 1000), vector.body);
      const ours = sign(vector.body, vector.secret, { id: vector.id, timestamp: new Date(vector.timestamp * 1000) });
      expect(ours).toEqual({ 'webhook-id': vector.id, 'webhook-timestamp': String(vector.timestamp), 'webhook-signature': reference });
      expect(vector.signature.split(' ')).toContain(reference);
    });
  }

  it('each verifies what the other signs, at the real time', () => {
    const headers = sign(body, SECRET);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(event);
    const id = 'msg_2LJ5SxG4HGbeC6vHk6N2Ah8pdQA';
    const now = new Date();
    const reference = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign(id, now, body),
    };
    expect(verify(body, reference, SECRET)).toEqual(event);
  });

  it('signs with several secrets, as during a rotation, and each secret verifies', () => {
    const next = 'whsec_bmV4dC1zZWNyZXQtb2YtdGhpcy1kZXN0aW5hdGlvbg==';
    const headers = sign(body, [SECRET, next], { timestamp: new Date(T * 1000) });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(body, headers, SECRET, at(T))).toEqual(event);
    expect(verify(body, headers, next, at(T))).toEqual(event);
    expect(outcome(body, headers, 'whsec_b3RoZXI=', at(T))).toBe('bad_signature');
  });

  it("takes webhook-id from the body's id, else makes a msg_ one", () => {
    expect(signed['webhook-id']).toBe(event.id);
    expect(sign('not json', SECRET)['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(sign(body, SECRET, { id: 'msg_custom' })['webhook-id']).toBe('msg_custom');
  });
});

describe('verify()', () => {
  it('returns the typed event, narrowed by its type (and provider, whose data shapes differ)', () => {
    const verified = verify(body, signed, SECRET, at(T));
    expectTypeOf(verified).toEqualTypeOf<HooklineEvent>();
    if (verified.type !== 'video.asset.ready') throw new Error('not narrowed');
    expectTypeOf(verified.type).toEqualTypeOf<'video.asset.ready'>();
    // Mux and FastPix shape data differently (FastPix says playbackIds), so data needs the provider too.
    expectTypeOf(verified.data.playback_ids).toEqualTypeOf<unknown>();
    if (verified.provider !== 'mux') throw new Error('not narrowed');
    expectTypeOf(verified.data.playback_ids?.[0]?.id).toEqualTypeOf<string | undefined>();
    expect(verified.data.playback_ids?.[0]?.id).toBe('p1');
  });

  it('accepts the body as a string, Buffer, Uint8Array (also a view into a larger buffer) or ArrayBuffer', () => {
    const bytes = new TextEncoder().encode(body);
    const padded = new Uint8Array(bytes.length + 20);
    padded.set(bytes, 10);
    for (const raw of [body, Buffer.from(body), bytes, padded.subarray(10, 10 + bytes.length), bytes.buffer]) {
      expect(verify(raw, signed, SECRET, at(T))).toEqual(event);
    }
  });

  it('accepts plain objects with any header case, fetch Headers, and Node IncomingHttpHeaders', () => {
    const mixedCase = {
      'Webhook-Id': signed['webhook-id'],
      'WEBHOOK-TIMESTAMP': signed['webhook-timestamp'],
      'Webhook-Signature': signed['webhook-signature'],
    };
    expect(verify(body, mixedCase, SECRET, at(T))).toEqual(event);
    expect(verify(body, new Headers(signed), SECRET, at(T))).toEqual(event);
    const incoming: import('node:http').IncomingHttpHeaders = { ...signed, host: 'localhost', 'set-cookie': ['a=b'] };
    expect(verify(body, incoming, SECRET, at(T))).toEqual(event);
  });

  it('finds a signature in a repeated webhook-signature header, which arrives joined with ", "', () => {
    const headers = new Headers({ 'webhook-id': signed['webhook-id'], 'webhook-timestamp': signed['webhook-timestamp'] });
    headers.append('webhook-signature', 'v1,bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsIQ==');
    headers.append('webhook-signature', signed['webhook-signature']);
    expect(verify(body, headers, SECRET, at(T))).toEqual(event);
    expect(verify(body, { ...signed, 'webhook-signature': ['v1,other', signed['webhook-signature']] }, SECRET, at(T))).toEqual(event);
  });

  it('allows 5 minutes either way, and says which way a timestamp is off', () => {
    expect(outcome(body, signed, SECRET, at(T + 300))).toBe('ok');
    expect(outcome(body, signed, SECRET, at(T - 300))).toBe('ok');
    expect(failure(body, signed, SECRET, at(T + 301))).toMatchObject({
      reason: 'timestamp_too_old',
      message: expect.stringMatching(/301 s in the past/),
    });
    expect(failure(body, signed, SECRET, at(T - 301))).toMatchObject({
      reason: 'timestamp_too_new',
      message: expect.stringMatching(/301 s in the future/),
    });
    expect(outcome(body, signed, SECRET, { ...at(T + 30), toleranceSeconds: 10 })).toBe('timestamp_too_old');
  });

  it('names a missing header', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const headers: Record<string, string> = { ...signed };
      delete headers[name];
      expect(failure(body, headers, SECRET, at(T))).toMatchObject({
        reason: 'missing_header',
        header: name,
        message: `the ${name} header is missing`,
      });
      expect(failure(body, { ...signed, [name]: '  ' }, SECRET, at(T))).toMatchObject({ reason: 'missing_header', header: name });
    }
  });

  it('refuses a timestamp that is not unix seconds', () => {
    for (const bad of ['soon', '1763892000.5', '-1763892000', '2025-11-23T10:00:00Z']) {
      expect(failure(body, { ...signed, 'webhook-timestamp': bad }, SECRET, at(T))).toMatchObject({
        reason: 'invalid_header',
        header: 'webhook-timestamp',
      });
    }
  });

  it('refuses a changed body, id or timestamp, and signatures of any length or shape', () => {
    expect(outcome(body.replace('a1', 'a2'), signed, SECRET, at(T))).toBe('bad_signature');
    expect(outcome(body, { ...signed, 'webhook-id': 'evt_other' }, SECRET, at(T))).toBe('bad_signature');
    expect(outcome(body, { ...signed, 'webhook-timestamp': String(T + 1) }, SECRET, at(T))).toBe('bad_signature');
    expect(outcome(body, signed, 'whsec_b3RoZXIgc2VjcmV0', at(T))).toBe('bad_signature');
    for (const signature of ['v1,', 'v1,x', `${signed['webhook-signature']}AAAA`, 'v1,,,', 'garbage', ',v1']) {
      expect(outcome(body, { ...signed, 'webhook-signature': signature }, SECRET, at(T))).toBe('bad_signature');
    }
  });

  it('refuses a signed body that is not a JSON object', () => {
    for (const raw of ['not json', '[1,2]', 'null', Buffer.from([0x7b, 0xff, 0x7d])]) {
      const headers = sign(raw, SECRET, { id: 'msg_1', timestamp: new Date(T * 1000) });
      expect(outcome(raw, headers, SECRET, at(T))).toBe('invalid_payload');
    }
  });

  it('takes the secret with or without whsec_, and throws a TypeError for one that is not base64', () => {
    expect(verify(body, signed, SECRET.slice('whsec_'.length), at(T))).toEqual(event);
    expect(() => verify(body, signed, 'whsec_not base64!', at(T))).toThrow(TypeError);
    expect(() => verify(body, signed, '', at(T))).toThrow(TypeError);
  });

  it('throws a TypeError naming the likely cause when given a parsed body', () => {
    expect(() => verify(event as never, signed, SECRET, at(T))).toThrow(/raw body .* got object — was it parsed by a JSON body parser\?/);
  });

  it('throws an Error with a name, a reason and a message', () => {
    const err = failure(body, { ...signed, 'webhook-id': 'evt_other' }, SECRET, at(T));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('WebhookVerificationError');
    expect(err.reason).toBe('bad_signature');
    expect(err.message).toMatch(/no signature in webhook-signature matches the body \(1 v1 signature checked\)/);
  });

  it('keeps instanceof working across two copies of the package (ESM and CommonJS loaded together)', async () => {
    // A query string makes the module loader evaluate the file again, as a second copy.
    const specifier = '../src/errors.ts?second-copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import('../src/errors.ts');
    expect(copy.WebhookVerificationError).not.toBe(WebhookVerificationError);
    const foreign = new copy.WebhookVerificationError('bad_signature', 'from the other copy');
    expect(foreign instanceof WebhookVerificationError).toBe(true);
    expect(new Error('plain') instanceof WebhookVerificationError).toBe(false);
    expect((null as unknown) instanceof WebhookVerificationError).toBe(false);
  });
});
