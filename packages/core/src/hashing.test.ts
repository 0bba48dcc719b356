import { describe, expect, it } from 'vitest';
import { hashIngestKey, hideIngestKey, ingestKeyHint } from './hashing.ts';

describe('what is stored of an ingest key', () => {
  it('hashes as SQL does: encode(sha256(convert_to(key, UTF8)), hex)', () => {
    expect(hashIngestKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('hints with the first six characters, counted as SQL left() counts them', () => {
    expect(ingestKeyHint('DKy0_LZp3k6ArbvSttbbcQPDgOcBorZr')).toBe('DKy0_L');
    expect(ingestKeyHint('abc')).toBe('abc');
    expect(ingestKeyHint('🔑🔑🔑🔑🔑🔑🔑')).toBe('🔑🔑🔑🔑🔑🔑');
  });
  it('cuts the key out of an ingest URL before it is logged', () => {
    expect(hideIngestKey('/in/DKy0_LZp3k6ArbvSttbbcQPDgOcBorZr')).toBe('/in/DKy0_L…');
    expect(hideIngestKey('/in/DKy0_LZp3k6ArbvSttbbcQPDgOcBorZr?x=1')).toBe('/in/DKy0_L…?x=1');
    expect(hideIngestKey('/v1/sources/src_1?in=/in/x')).toBe('/v1/sources/src_1?in=/in/x');
  });
});
