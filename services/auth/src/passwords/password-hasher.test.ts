import { describe, expect, it } from 'vitest';
import { PasswordHasher } from './password-hasher.ts';

// The cheapest valid cost keeps the suite fast; the format and logic are the same at any cost.
const hasher = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

describe('PasswordHasher', () => {
  it('verifies the password it hashed', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(await hasher.verify('correct horse battery', encoded)).toBe(true);
  });

  it('rejects a wrong password', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(await hasher.verify('correct horse batterY', encoded)).toBe(false);
    expect(await hasher.verify('', encoded)).toBe(false);
  });

  it('encodes the parameters, a 16-byte salt and the hash', async () => {
    const encoded = await hasher.hash('pw-12345678');
    const [scheme, N, r, p, salt, hash, ...rest] = encoded.split('$');
    expect([scheme, N, r, p]).toEqual(['scrypt', '1024', '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(32);
    expect(rest).toEqual([]);
  });

  it('salts: two hashes of one password differ and both verify', async () => {
    const a = await hasher.hash('same password');
    const b = await hasher.hash('same password');
    expect(a).not.toBe(b);
    expect(await hasher.verify('same password', a)).toBe(true);
    expect(await hasher.verify('same password', b)).toBe(true);
  });

  it('verifies hashes made with other parameters, from the encoded ones', async () => {
    const encoded = await new PasswordHasher({ N: 2 ** 11, r: 4, p: 2 }).hash('older cost');
    expect(encoded.startsWith('scrypt$2048$4$2$')).toBe(true);
    expect(await hasher.verify('older cost', encoded)).toBe(true);
  });

  it('treats the same text in other Unicode normal forms as the same password', async () => {
    const encoded = await hasher.hash('caf\u00e9 au lait');
    expect(await hasher.verify('cafe\u0301 au lait', encoded)).toBe(true);
  });

  it('returns false, without throwing, for an unknown user', async () => {
    expect(await hasher.verify('anything at all', undefined)).toBe(false);
  });

  it('spends about as long on an unknown user as on a known one', async () => {
    const costly = new PasswordHasher({ N: 2 ** 14, r: 8, p: 1 });
    const encoded = await costly.hash('timing-password');
    const time = async (stored: string | undefined) => {
      const started = performance.now();
      await costly.verify('timing-password', stored);
      return performance.now() - started;
    };
    const known = Math.min(await time(encoded), await time(encoded), await time(encoded));
    const unknown = Math.min(await time(undefined), await time(undefined), await time(undefined));
    const malformed = Math.min(await time('scrypt$oops'), await time('scrypt$oops'));
    expect(unknown).toBeGreaterThan(known / 3);
    expect(malformed).toBeGreaterThan(known / 3);
  });

  it('returns false, without throwing, for malformed hashes', async () => {
    const good = await hasher.hash('pw-12345678');
    const [, , , , salt, hash] = good.split('$');
    const malformed = [
      '',
      'garbage',
      'scrypt$',
      `bcrypt$1024$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$1024$8$1$${salt}$${hash}$extra`,
      `scrypt$1024$8$0$${salt}$${hash}`,
      `scrypt$-1024$8$1$${salt}$${hash}`,
      `scrypt$1e3$8$1$${salt}$${hash}`,
      `scrypt$${2 ** 30}$8$1$${salt}$${hash}`, // would need 128 GiB
      `scrypt$1024$8$1$$${hash}`,
      `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$${salt}$not*base64`,
      `scrypt$1024$8$1$${salt}$AAAA`, // 3-byte hash
    ];
    for (const encoded of malformed) {
      await expect(hasher.verify('pw-12345678', encoded), encoded).resolves.toBe(false);
    }
  });

  it('refuses to hash with invalid parameters', () => {
    expect(() => new PasswordHasher({ N: 1000, r: 8, p: 1 })).toThrow(/invalid scrypt parameters/);
  });
});
