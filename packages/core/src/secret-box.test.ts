import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.ts';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('whsec_super-secret');
    expect(sealed).not.toContain('super-secret');
    expect(box.open(sealed)).toBe('whsec_super-secret');
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses tampered ciphertext and a different key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3] as string, 'base64url');
    ct[0] = (ct[0] as number) ^ 1;
    expect(() => box.open([...parts.slice(0, 3), ct.toString('base64url')].join('.'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('rotation: opens with the previous key until re-sealed with the current one', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const sealedOld = new SecretBox(oldKey).seal('whsec_rotated');
    const rotating = new SecretBox(newKey, [oldKey]);
    expect(rotating.open(sealedOld)).toBe('whsec_rotated');
    expect(rotating.sealedWithCurrentKey(sealedOld)).toBe(false);
    const resealed = rotating.seal(rotating.open(sealedOld));
    expect(rotating.sealedWithCurrentKey(resealed)).toBe(true);
    // Once everything is re-sealed the old key can go; what it alone sealed no longer opens.
    const rotated = new SecretBox(newKey);
    expect(rotated.open(resealed)).toBe('whsec_rotated');
    expect(() => rotated.open(sealedOld)).toThrow();
    // A value sealed with neither key is refused, not opened with garbage.
    expect(() => rotating.open(new SecretBox(randomBytes(32)).seal('x'))).toThrow();
  });
});
