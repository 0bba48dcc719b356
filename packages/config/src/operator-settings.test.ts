import { tempDir } from '@hookline/testing';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseTrustProxy } from './index.ts';

const base = () => ({ HOOKLINE_DATA_DIR: tempDir() });

describe('HOOKLINE_SIGNUP', () => {
  it('is open unless set to closed', () => {
    expect(loadConfig(base()).signup).toBe('open');
    expect(loadConfig({ ...base(), HOOKLINE_SIGNUP: 'closed' }).signup).toBe('closed');
    expect(loadConfig({ ...base(), HOOKLINE_SIGNUP: 'open' }).signup).toBe('open');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ ...base(), HOOKLINE_SIGNUP: 'invite-only' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), HOOKLINE_SIGNUP: 'invite-only' })).toThrow(/^HOOKLINE_SIGNUP: /);
  });
});

describe('HOOKLINE_TRUST_PROXY', () => {
  it('trusts no proxy by default', () => {
    expect(loadConfig(base()).trustProxy).toBe(false);
  });

  it('takes true/false, addresses and CIDR ranges', () => {
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('FALSE')).toBe(false);
    expect(parseTrustProxy('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(parseTrustProxy('10.0.0.0/8, 192.168.1.7 ,::1,fd00::/8')).toEqual(['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8']);
  });

  it('turns a hop count into a function trusting that many nearest hops', () => {
    const trust = parseTrustProxy('2');
    if (typeof trust !== 'function') throw new Error('expected a function');
    expect([0, 1, 2, 3].map((hop) => trust('10.0.0.1', hop))).toEqual([true, true, false, false]);
    expect(parseTrustProxy('0')).toBe(false);
  });

  it.each(['loadbalancer', '10.0.0.0/33', '::1/129', '10.0.0.1/x', '10.0.0.1/8/1', ','])('refuses %j', (raw) => {
    expect(() => loadConfig({ ...base(), HOOKLINE_TRUST_PROXY: raw })).toThrow(/^HOOKLINE_TRUST_PROXY: /);
  });
});

describe('HOOKLINE_PGLITE_SHARED_BUFFERS', () => {
  it('is 16mb unless set, in bytes', () => {
    expect(loadConfig(base()).pgliteSharedBuffers).toBe(16 * 1024 * 1024);
    expect(loadConfig({ ...base(), HOOKLINE_PGLITE_SHARED_BUFFERS: '32mb' }).pgliteSharedBuffers).toBe(32 * 1024 * 1024);
  });

  it('refuses sizes outside 1mb to 1gb, naming the variable', () => {
    for (const raw of ['512kb', '2gb', 'lots']) {
      expect(() => loadConfig({ ...base(), HOOKLINE_PGLITE_SHARED_BUFFERS: raw })).toThrow(/^HOOKLINE_PGLITE_SHARED_BUFFERS: /);
    }
  });
});
