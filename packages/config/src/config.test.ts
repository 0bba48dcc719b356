import { randomBytes } from 'node:crypto';
import { tempDir } from '@hookline/testing';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretBoxFor } from './index.ts';

const base = () => ({ HOOKLINE_DATA_DIR: tempDir() });

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(base());
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
    expect(config.retryScheduleMs).toHaveLength(7);
    expect(config.deliveryTimeoutMs).toBe(15_000);
    expect(config.maxBodyBytes).toBe(1048576);
    expect(config.allowPrivateDestinations).toBe(true);
    expect(config.secretKey).toHaveLength(32);
  });

  it('opens with HOOKLINE_SECRET_KEY_PREVIOUS during a rotation, seals with the current key', () => {
    const oldKey = randomBytes(32);
    const sealedOld = secretBoxFor({ secretKey: oldKey, previousSecretKey: undefined }).seal('s');
    const config = loadConfig({ ...base(), HOOKLINE_SECRET_KEY_PREVIOUS: oldKey.toString('base64') });
    expect(config.previousSecretKey?.equals(oldKey)).toBe(true);
    const box = secretBoxFor(config);
    expect(box.open(sealedOld)).toBe('s');
    expect(box.sealedWithCurrentKey(box.seal('s'))).toBe(true);
    expect(loadConfig(base()).previousSecretKey).toBeUndefined();
  });

  it('keeps the generated embedded key across restarts', () => {
    const env = base();
    expect(loadConfig(env).secretKey.equals(loadConfig(env).secretKey)).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ HOOKLINE_RETRY_SCHEDULE: '5s,soon' }, /^HOOKLINE_RETRY_SCHEDULE: /],
    [{ HOOKLINE_MAX_BODY: 'huge' }, /^HOOKLINE_MAX_BODY: /],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: /],
    [{ DATABASE_URL: 'postgres://u:hunter2@db/x' }, /^HOOKLINE_SECRET_KEY: required/],
    [{ HOOKLINE_SECRET_KEY_PREVIOUS: 'short' }, /^HOOKLINE_SECRET_KEY_PREVIOUS: /],
    [{ HOOKLINE_SECRET_KEY: 'c2hvcnQ=' }, /^HOOKLINE_SECRET_KEY: must be 32/],
    [{ HOOKLINE_ALLOW_PRIVATE_DESTINATIONS: 'maybe' }, /^HOOKLINE_ALLOW_PRIVATE_DESTINATIONS: /],
  ])('names the variable in one line for %o', (env, message) => {
    const fn = () => loadConfig({ ...base(), ...env });
    expect(fn).toThrow(ConfigError);
    expect(fn).toThrow(message);
  });

  it('does not allow private destinations by default on a public host', () => {
    expect(loadConfig({ ...base(), HOST: '0.0.0.0' }).allowPrivateDestinations).toBe(false);
  });
});
