import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newSigningSecret, signStandardWebhook } from './standard-webhooks.ts';

const vectors = JSON.parse(readFileSync(new URL('../../../fixtures/vectors/standard-webhooks.json', import.meta.url), 'utf8'));

describe('signStandardWebhook', () => {
  for (const v of vectors.vectors.filter((v: { valid: boolean; signature: string }) => v.valid && !v.signature.includes(' '))) {
    it(`reproduces the ${v.name} vector`, () => {
      expect(signStandardWebhook([v.secret], v.id, v.timestamp, v.body)).toBe(v.signature);
    });
  }

  it('is accepted by the standardwebhooks package, also with two secrets during a rotation', () => {
    const current = newSigningSecret();
    const previous = newSigningSecret();
    const body = '{"id":"evt_1","type":"video.asset.ready","data":{"passthrough":"café"}}';
    const ts = Math.floor(Date.now() / 1000);
    const signature = signStandardWebhook([current, previous], 'evt_1', ts, body);
    expect(signature.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature };
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });
});
