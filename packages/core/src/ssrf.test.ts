import { describe, expect, it } from 'vitest';
import { guardedLookup, isBlockedAddress, refuseAddress } from './ssrf.ts';

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::7f00:1',
    '64:ff9b::7f00:1',
    'not-an-ip',
  ])('blocks %s', (ip) => expect(isBlockedAddress(ip)).toBe(true));

  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows %s', (ip) =>
    expect(isBlockedAddress(ip)).toBe(false),
  );
});

describe('refuseAddress with private destinations allowed', () => {
  // Metadata services hand out the host's credentials; no webhook endpoint lives there.
  it.each([
    '169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    'fd00:ec2::254',
    'FD00:EC2:0:0:0:0:0:254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '::a9fe:a9fe',
    '64:ff9b::169.254.169.254',
  ])('still refuses the metadata address %s', (ip) => expect(refuseAddress(ip, true)).toBe('metadata'));

  it.each(['127.0.0.1', '10.0.0.8', '::1', 'fd00::1', '::ffff:192.168.1.1'])('allows the private address %s', (ip) =>
    expect(refuseAddress(ip, true)).toBeUndefined(),
  );
});

describe('guardedLookup', () => {
  const resolve = (name: string, allowPrivate: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((done) =>
      guardedLookup({ allowPrivate })(name, {}, (err, address) => done({ err, address })),
    );

  it('refuses a name that resolves to loopback, saying how to receive events locally', async () => {
    const { err } = await resolve('localhost', false);
    expect(err?.message).toMatch(/localhost resolves to a private address: .*HOOKLINE_ALLOW_PRIVATE_DESTINATIONS=true.*hookline listen/);
  });

  it('resolves loopback when private destinations are allowed', async () => {
    const { err, address } = await resolve('localhost', true);
    expect(err).toBeNull();
    expect(address).toMatch(/^(127\.|::1)/);
  });
});
