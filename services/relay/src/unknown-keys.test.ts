import { describe, expect, it } from 'vitest';
import { AddressBudget, addressBucket, NegativeCache } from './unknown-keys.ts';

describe('NegativeCache', () => {
  it('forgets a key after its TTL, so a source created a moment later is found', () => {
    let now = 1_000;
    const cache = new NegativeCache({ ttlMs: 5_000, maxEntries: 10, now: () => now });
    cache.add('k');
    expect(cache.has('k')).toBe(true);
    now += 4_999;
    expect(cache.has('k')).toBe(true);
    now += 1;
    expect(cache.has('k')).toBe(false);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new NegativeCache({ ttlMs: 60_000, maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) cache.add(k);
    expect(cache.size).toBe(3);
    expect(cache.has('a')).toBe(false);
    expect(cache.has('d')).toBe(true);
  });
});

describe('addressBucket', () => {
  it('is the address for IPv4 (mapped or not) and the /64 for IPv6', () => {
    expect(addressBucket('203.0.113.9')).toBe('203.0.113.9');
    expect(addressBucket('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressBucket('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:DB8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('AddressBudget', () => {
  it('allows perMinute requests per address in a minute from its first, then says when to retry', () => {
    let now = 0;
    const budget = new AddressBudget({ perMinute: 3, now: () => now });
    expect([1, 2, 3].map(() => budget.take('198.51.100.1').ok)).toEqual([true, true, true]);
    now = 20_000;
    expect(budget.take('198.51.100.1')).toEqual({ ok: false, retryAfterMs: 40_000 });
    expect(budget.take('198.51.100.2').ok).toBe(true);
    // One IPv6 host rotating through its /64 shares one budget.
    expect([1, 2, 3, 4].map((i) => budget.take(`2001:db8::${i}`).ok)).toEqual([true, true, true, false]);
    now = 60_000;
    expect(budget.take('198.51.100.1').ok).toBe(true);
  });

  it('tracks a bounded number of addresses', () => {
    const budget = new AddressBudget({ perMinute: 1, maxAddresses: 2 });
    budget.take('10.0.0.1');
    budget.take('10.0.0.2');
    budget.take('10.0.0.3');
    // 10.0.0.1 was forgotten to make room: it starts a fresh window.
    expect(budget.take('10.0.0.1').ok).toBe(true);
  });
});
