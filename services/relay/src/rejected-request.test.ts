import { describe, expect, it } from 'vitest';
import { bodyExcerpt, capHeaders, OMITTED_HEADERS } from './rejected-request.ts';

describe('bodyExcerpt', () => {
  it('keeps at most maxBytes, as a copy', () => {
    const body = Buffer.alloc(10_000, 'x');
    const excerpt = bodyExcerpt(body, 256);
    expect(excerpt?.length).toBe(256);
    expect(excerpt?.buffer).not.toBe(body.buffer);
    expect(bodyExcerpt(Buffer.from('short'), 256)?.toString()).toBe('short');
    expect(bodyExcerpt(body, 0)).toBeNull();
    expect(bodyExcerpt(null, 256)).toBeNull();
  });
});

describe('capHeaders', () => {
  it('keeps small header maps whole', () => {
    const headers = { 'content-type': 'application/json', 'mux-signature': 't=1,v1=abc' };
    expect(capHeaders(headers, 4096)).toEqual(headers);
  });

  it('cuts and drops past the cap, and says what went', () => {
    const headers: Record<string, string> = { 'user-agent': 'Mux' };
    for (let i = 0; i < 20; i++) headers[`x-junk-${i}`] = 'j'.repeat(500);
    const capped = capHeaders(headers, 2048);
    expect(capped['user-agent']).toBe('Mux');
    const size = Object.entries(capped)
      .filter(([n]) => n !== OMITTED_HEADERS)
      .reduce((n, [k, v]) => n + k.length + (v ?? '').length, 0);
    expect(size).toBeLessThanOrEqual(2048);
    expect(capped[OMITTED_HEADERS]).toMatch(/^16 headers and \d+ bytes not kept/);
  });
});
