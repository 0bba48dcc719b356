import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseDurationList, parseSize } from './duration.ts';
import { matchesEventTypes } from './event-types.ts';

describe('durations and sizes', () => {
  it('parses the default retry schedule', () => {
    expect(parseDurationList('5s,5m,30m,2h,5h,10h,10h')).toEqual([5e3, 3e5, 1.8e6, 7.2e6, 1.8e7, 3.6e7, 3.6e7]);
    expect(parseDuration('250ms')).toBe(250);
  });
  it('rejects nonsense', () => {
    expect(() => parseDuration('5 minutes')).toThrow(/not a duration/);
    expect(() => parseDurationList('5s,,5m')).toThrow();
    expect(() => parseSize('1 tb')).toThrow();
  });
  it('writes durations back in the largest whole unit, as parseDuration reads them', () => {
    expect([2000, 1500, 0, 300_000, 90_000, 86_400_000].map(formatDuration)).toEqual(['2s', '1500ms', '0ms', '5m', '90s', '1d']);
    for (const ms of [2000, 1500, 0, 300_000, 250]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it('parses sizes', () => {
    expect(parseSize('1mb')).toBe(1048576);
    expect(parseSize('512kb')).toBe(524288);
    expect(parseSize('100')).toBe(100);
  });
});

describe('matchesEventTypes', () => {
  it('passes everything without a filter', () => {
    expect(matchesEventTypes(null, 'video.asset.ready')).toBe(true);
    expect(matchesEventTypes([], 'x')).toBe(true);
  });
  it('matches exact types and globs', () => {
    expect(matchesEventTypes(['video.asset.*'], 'video.asset.static_renditions.ready')).toBe(true);
    expect(matchesEventTypes(['video.asset.*'], 'video.upload.created')).toBe(false);
    expect(matchesEventTypes(['video.upload.created'], 'video.upload.created')).toBe(true);
    expect(matchesEventTypes(['video.upload.created'], 'video.upload.createdX')).toBe(false);
    expect(matchesEventTypes(['video.asset.ready'], 'videoXasset.ready')).toBe(false);
  });
});
