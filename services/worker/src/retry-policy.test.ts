import { describe, expect, it } from 'vitest';
import { nextRetryDelay, parseRetryAfter } from './retry-policy.ts';

describe('nextRetryDelay', () => {
  const schedule = [5_000, 300_000];
  it('follows the schedule with ±10 % jitter, then gives up', () => {
    expect(nextRetryDelay(1, schedule, null, () => 0)).toBe(4_500);
    expect(nextRetryDelay(1, schedule, null, () => 1)).toBe(5_500);
    expect(nextRetryDelay(2, schedule, null, () => 0.5)).toBe(300_000);
    expect(nextRetryDelay(3, schedule, null)).toBeNull();
  });
  it('honours a longer Retry-After, capped at a day', () => {
    expect(nextRetryDelay(1, schedule, 60_000, () => 0.5)).toBe(60_000);
    expect(nextRetryDelay(1, schedule, 1_000, () => 0.5)).toBe(5_000);
    expect(nextRetryDelay(1, schedule, 10 * 86_400_000, () => 0.5)).toBe(86_400_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
