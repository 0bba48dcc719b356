import { describe, expect, it } from 'vitest';
import { genericHmac, parseGenericHmacSettings } from './generic-hmac.ts';

describe('generic HMAC settings', () => {
  it('fills in defaults and lower-cases header names', () => {
    expect(parseGenericHmacSettings({ header: 'X-Signature' })).toEqual({
      header: 'x-signature',
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: '',
      template: '{body}',
      secret_encoding: 'utf8',
      timestamp_header: null,
      tolerance_seconds: null,
      type_header: null,
      type_field: 'type',
      id_header: null,
      id_field: 'id',
    });
  });

  it('parses what it stored to the same settings', () => {
    const once = parseGenericHmacSettings({
      header: 'X-Sig',
      algorithm: 'sha1',
      encoding: 'base64',
      prefix: 'sha1=',
      template: '{timestamp}.{body}',
      timestamp_header: 'X-Ts',
      tolerance_seconds: 120,
      secret_encoding: 'hex',
      type_header: 'X-Event',
      id_field: 'meta.id',
    });
    expect(parseGenericHmacSettings({ ...once })).toEqual(once);
    expect(once.tolerance_seconds).toBe(120);
  });

  it('defaults the tolerance to 5 minutes when a timestamp header is set', () => {
    expect(parseGenericHmacSettings({ header: 'x-sig', template: '{timestamp}{body}', timestamp_header: 'x-ts' }).tolerance_seconds).toBe(
      300,
    );
  });

  it.each([
    [{}, 'verification.header is required'],
    [{ header: 'bad header' }, 'verification.header is not a valid header name'],
    [{ header: 7 }, 'verification.header must be a string'],
    [{ header: 'x', algorithm: 'md5' }, 'verification.algorithm must be one of sha256, sha1, sha512'],
    [{ header: 'x', encoding: 'base32' }, 'verification.encoding must be one of hex, base64'],
    [{ header: 'x', secret_encoding: 'rot13' }, 'verification.secret_encoding must be one of utf8, base64, hex, whsec'],
    [{ header: 'x', template: '{timestamp}' }, 'verification.template: the signing template must contain {body} exactly once'],
    [{ header: 'x', template: '{id}.{body}' }, 'verification.template: unknown placeholder in the signing template: {id}'],
    [{ header: 'x', template: '{timestamp}.{body}' }, 'verification.timestamp_header is required when the template signs {timestamp}'],
    [{ header: 'x', tolerance_seconds: 30 }, 'verification.tolerance_seconds needs verification.timestamp_header'],
    [{ header: 'x', timestamp_header: 'x-ts', tolerance_seconds: 0 }, 'whole number of seconds from 1 to 86400'],
    [{ header: 'x', timestamp_header: 'x-ts', tolerance_seconds: 1.5 }, 'whole number of seconds from 1 to 86400'],
    [{ header: 'x', type_field: 'a..b' }, 'verification.type_field must be a dotted field path'],
    [{ header: 'x', prefix: 'p'.repeat(51) }, 'verification.prefix is too long'],
    [{ header: 'x', algo: 'sha256' }, 'unknown verification option algo'],
  ])('refuses %j', (input, message) => {
    expect(() => parseGenericHmacSettings(input)).toThrow(message);
  });

  it('fails verification, not the process, when stored settings are unusable', () => {
    const verdict = genericHmac.verify({ body: Buffer.from('{}'), headers: { 'x-sig': 'abc' }, secrets: ['s'], nowMs: 0, settings: {} });
    expect(verdict).toEqual({
      ok: false,
      detail: "the source's verification settings are invalid: verification.header is required: the header that carries the signature",
    });
  });
});
