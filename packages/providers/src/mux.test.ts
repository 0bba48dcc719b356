import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Mux from '@mux/mux-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyMuxSignature } from './mux.ts';

const VECTORS = fileURLToPath(new URL('../../../fixtures/vectors', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));

interface Vector {
  name: string;
  secret: string;
  timestamp: number;
  body: string;
  header: string;
  valid: boolean;
}
const vectors = JSON.parse(readFileSync(join(VECTORS, 'mux-signature.json'), 'utf8')) as {
  verify_at_unix: number;
  vectors: Vector[];
};

const reference = new Mux({ tokenId: 'x', tokenSecret: 'y' });

/** @mux/mux-node's verdict, with its Date.now pinned (it has no clock parameter). */
function muxNodeAccepts(body: string, headers: Record<string, string>, secret: string, nowUnix: number): boolean {
  vi.setSystemTime(nowUnix * 1000);
  try {
    reference.webhooks.verifySignature(body, headers, secret);
    return true;
  } catch {
    return false;
  }
}

function oursAccepts(body: string | Buffer, headers: Record<string, string>, secrets: string[], nowUnix: number): boolean {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return verifyMuxSignature({ body: raw, headers, secrets, nowMs: nowUnix * 1000, settings: {} }).ok;
}

/** Both verifiers on one input: they must agree, and on `expected`. */
function agree(body: string, header: string | undefined, secret: string, nowUnix: number, expected: boolean) {
  const headers: Record<string, string> = header === undefined ? {} : { 'mux-signature': header };
  expect({ muxNode: muxNodeAccepts(body, headers, secret, nowUnix), ours: oursAccepts(body, headers, [secret], nowUnix) }).toEqual({
    muxNode: expected,
    ours: expected,
  });
}

const valid = vectors.vectors.filter((v) => v.valid);
const v1Of = (header: string) => header.split(',').find((p) => p.startsWith('v1=') && !/^v1=0+$/.test(p)) as string;

beforeAll(() => {
  vi.useFakeTimers();
});
afterAll(() => {
  vi.useRealTimers();
});

describe('Mux signature, against @mux/mux-node', () => {
  it.each(vectors.vectors.map((v) => [v.name, v] as const))('shared vector %s', (_name, v) => {
    agree(v.body, v.header, v.secret, vectors.verify_at_unix, v.valid);
  });

  it.each(valid.map((v) => [v.name, v] as const))('%s: changing any one byte of the body fails', (_name, v) => {
    for (const at of [0, 1, Math.floor(v.body.length / 2), v.body.length - 2, v.body.length - 1]) {
      const flipped = v.body.slice(0, at) + String.fromCharCode(v.body.charCodeAt(at) ^ 1) + v.body.slice(at + 1);
      agree(flipped, v.header, v.secret, vectors.verify_at_unix, false);
    }
  });

  it.each(valid.map((v) => [v.name, v] as const))('%s: a wrong secret fails', (_name, v) => {
    agree(v.body, v.header, `${v.secret}x`, vectors.verify_at_unix, false);
    agree(v.body, v.header, v.secret.slice(1), vectors.verify_at_unix, false);
  });

  it.each(valid.map((v) => [v.name, v] as const))('%s: 300 s old passes, 301 s old is stale', (_name, v) => {
    agree(v.body, v.header, v.secret, v.timestamp + 300, true);
    agree(v.body, v.header, v.secret, v.timestamp + 301, false);
    agree(v.body, v.header, v.secret, v.timestamp + 86_400, false);
  });

  it.each(valid.map((v) => [v.name, v] as const))('%s: a far-future timestamp passes, as in mux-node', (_name, v) => {
    // mux-node only rejects old timestamps; ours agrees (a future t still needs the secret to sign).
    agree(v.body, v.header, v.secret, v.timestamp - 3600, true);
    agree(v.body, v.header, v.secret, v.timestamp - 365 * 86_400, true);
  });

  it('a missing header fails', () => {
    const v = valid[0] as Vector;
    agree(v.body, undefined, v.secret, vectors.verify_at_unix, false);
  });

  it.each([
    '',
    'nonsense',
    't=',
    'v1=',
    ',,,',
    't=1763892000',
    't=1763892000,v1=',
    't=1763892000,v1=zz',
    't=abc,v1=2c7fde4a6a5da255a4dfb4c22dfe13c3be55a1382a152687d6c8b9e8cc96f4bb',
    'T=1763892000,V1=2c7fde4a6a5da255a4dfb4c22dfe13c3be55a1382a152687d6c8b9e8cc96f4bb',
    't=1763892000, v1=2c7fde4a6a5da255a4dfb4c22dfe13c3be55a1382a152687d6c8b9e8cc96f4bb',
    't=1763892000,v0=2c7fde4a6a5da255a4dfb4c22dfe13c3be55a1382a152687d6c8b9e8cc96f4bb',
    't=1763892001,v1=2c7fde4a6a5da255a4dfb4c22dfe13c3be55a1382a152687d6c8b9e8cc96f4bb',
    't=1763892000,v1=2C7FDE4A6A5DA255A4DFB4C22DFE13C3BE55A1382A152687D6C8B9E8CC96F4BB',
  ])('garbage header %j fails', (header) => {
    const v = valid[0] as Vector;
    agree(v.body, header, v.secret, vectors.verify_at_unix, false);
  });

  it.each(valid.map((v) => [v.name, v] as const))('%s: any of several v1 values may match', (_name, v) => {
    const good = v1Of(v.header);
    const bad = `v1=${'ab'.repeat(32)}`;
    const t = `t=${v.timestamp}`;
    agree(v.body, [t, bad, good].join(','), v.secret, vectors.verify_at_unix, true);
    agree(v.body, [t, good, bad].join(','), v.secret, vectors.verify_at_unix, true);
    agree(v.body, [bad, 'v1=', good, t].join(','), v.secret, vectors.verify_at_unix, true);
    agree(v.body, [t, 'v0=deadbeef', 'x=1', good].join(','), v.secret, vectors.verify_at_unix, true);
    agree(v.body, [t, bad, bad].join(','), v.secret, vectors.verify_at_unix, false);
  });

  it("mux-node's own test vector (fixtures/vectors/mux-node-sdk-vector.json)", () => {
    const alt = JSON.parse(readFileSync(join(VECTORS, 'mux-node-sdk-vector.json'), 'utf8'));
    agree(alt.body, alt['mux-signature'], alt.secret, alt.now_unix_for_test, true);
    agree(alt.body2, alt['mux-signature2'], alt.secret, alt.now_unix_for_test, true);
    agree(alt.body, alt['mux-signature2'], alt.secret, alt.now_unix_for_test, false);
  });

  describe('signed fixtures (mux/_signatures.json)', () => {
    const dir = join(FIXTURES, 'mux');
    const signed = JSON.parse(readFileSync(join(dir, '_signatures.json'), 'utf8')) as {
      secret: string;
      t: number;
      headers: Record<string, string>;
    };
    // The captured fixtures that came signed (a subset of this folder).
    const files = Object.keys(signed.headers).sort();

    it('signs fixtures that are here', () => {
      expect(files.length).toBeGreaterThan(10);
      expect(files.filter((f) => !readdirSync(dir).includes(f))).toEqual([]);
    });

    it.each(files)('%s', (file) => {
      const body = readFileSync(join(dir, file), 'utf8');
      agree(body, signed.headers[file], signed.secret, signed.t, true);
      agree(body, signed.headers[file], 'not-the-secret', signed.t, false);
      agree(body, signed.headers[file], signed.secret, signed.t + 301, false);
    });
  });

  it('verifies the raw bytes, even where they are not UTF-8', () => {
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const t = 1_763_892_000;
    const header = `t=${t},v1=${createHmac('sha256', 'secret').update(`${t}.`).update(body).digest('hex')}`;
    expect(oursAccepts(body, { 'mux-signature': header }, ['secret'], t)).toBe(true);
    // Decoding first (as a string-based verifier does) replaces the invalid bytes and breaks the signature.
    expect(oursAccepts(body.toString('utf8'), { 'mux-signature': header }, ['secret'], t)).toBe(false);
  });

  it('accepts either secret during a rotation', () => {
    const v = valid[0] as Vector;
    const headers = { 'mux-signature': v.header };
    expect(oursAccepts(v.body, headers, ['new-secret', v.secret], vectors.verify_at_unix)).toBe(true);
    expect(oursAccepts(v.body, headers, [v.secret, 'new-secret'], vectors.verify_at_unix)).toBe(true);
    expect(oursAccepts(v.body, headers, ['new-secret'], vectors.verify_at_unix)).toBe(false);
  });
});
