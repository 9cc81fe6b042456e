import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/**
 * 2^15 × 8 × 128 B = 32 MiB and roughly 50–100 ms per hash on one core: the cost of a login. Raising
 * it later is safe, since every stored hash carries the parameters it was made with.
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on parameters read back from storage, so a corrupt hash cannot ask for gigabytes. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_P = 16;

/** A parsed `scrypt$N$r$p$salt_b64$hash_b64` string. */
interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

export class PasswordHasher {
  private readonly params: ScryptParams;
  /** Stands in for the stored hash of an unknown user, so that a miss costs one full derivation too. */
  private readonly dummy: StoredHash;

  constructor(params: ScryptParams = DEFAULT_SCRYPT_PARAMS) {
    if (!validParams(params)) throw new Error(`invalid scrypt parameters ${JSON.stringify(params)}`);
    this.params = params;
    this.dummy = { params, salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES) };
  }

  /** Encodes as `scrypt$N$r$p$salt_b64$hash_b64` with a fresh random salt. */
  async hash(password: string): Promise<string> {
    const { N, r, p } = this.params;
    const salt = randomBytes(SALT_BYTES);
    const hash = await derive(password, salt, KEY_BYTES, this.params);
    return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
  }

  /**
   * Whether `password` matches `encoded`. An absent or malformed `encoded` (unknown user, corrupt
   * record) still costs one derivation and yields false, so timing does not reveal which logins exist.
   */
  async verify(password: string, encoded: string | undefined): Promise<boolean> {
    const parsed = encoded === undefined ? undefined : parse(encoded);
    const stored = parsed ?? this.dummy;
    const actual = await derive(password, stored.salt, stored.hash.length, stored.params);
    return timingSafeEqual(actual, stored.hash) && parsed !== undefined;
  }
}

function parse(encoded: string): StoredHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : NaN));
  const params = { N: N ?? NaN, r: r ?? NaN, p: p ?? NaN };
  const salt = base64(parts[4]);
  const hash = base64(parts[5]);
  if (!validParams(params) || !salt || !hash || hash.length < 16 || hash.length > 64) return undefined;
  return { params, salt, hash };
}

function base64(s: string | undefined): Buffer | undefined {
  if (!s || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  return buf.length > 0 ? buf : undefined;
}

function validParams({ N, r, p }: ScryptParams): boolean {
  return (
    Number.isSafeInteger(N) && N > 1 && (N & (N - 1)) === 0 &&
    Number.isSafeInteger(r) && r >= 1 &&
    Number.isSafeInteger(p) && p >= 1 && p <= MAX_P &&
    scryptMemory({ N, r, p }) <= MAX_MEMORY_BYTES
  );
}

/** What OpenSSL allocates for one derivation (V plus B). */
const scryptMemory = ({ N, r, p }: ScryptParams) => 128 * r * (N + p);

function derive(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: scryptMemory(params) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    // NFC (as RFC 8265 OpaqueString): "é" typed as one code point or as e + accent is the same password.
    scrypt(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
