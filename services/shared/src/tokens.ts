import {
  errors as joseErrors,
  CompactSign,
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';

/** Access tokens are EdDSA (Ed25519) JWTs with a `kid`; the kid is the key's JWK thumbprint. */
export const TOKEN_ALG = 'EdDSA';

/** What a verified access token says about its holder. */
export interface Principal {
  userId: string;
  name: string;
  roles: string[];
}

export interface TokenSettings {
  issuer: string;
  audience: string;
}

/** The claims every access token carries; `extraClaims` passed to sign() cannot replace them. */
export const STANDARD_CLAIMS = ['sub', 'name', 'roles', 'iss', 'aud', 'iat', 'exp', 'jti'] as const;

export interface TokenSigner {
  readonly kid: string;
  /**
   * An access token for `principal` living `ttlSec` seconds, with `extraClaims` beside the
   * standard ones (which they cannot replace). The payload is ASCII-safe JSON (asciiSafeJson).
   */
  sign(principal: Principal, ttlSec: number, extraClaims?: Record<string, unknown>): Promise<string>;
  /**
   * The public keys tokens may be verified with (published at /.well-known/jwks.json): the
   * signing key's first, then the other accepted keys (previous keys during a rotation).
   */
  jwks(): JSONWebKeySet;
}

/** A published key: a public JWK with its kid (the RFC 7638 thumbprint), alg and use. */
export type PublishedJwk = JWK & { kid: string; alg: typeof TOKEN_ALG; use: 'sig' };

/**
 * The public JWK of an Ed25519 key given as PEM: a PKCS#8 private key or an SPKI public key (only
 * the public half is ever kept). Throws for any other kind of key.
 */
export async function ed25519PublicJwk(pem: string): Promise<PublishedJwk> {
  const publicKey = createPublicKey(pem);
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is required, not ${publicKey.asymmetricKeyType ?? 'this key'}`);
  return publish(publicKey);
}

async function publish(publicKey: KeyObject): Promise<PublishedJwk> {
  const jwk = await exportJWK(publicKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: TOKEN_ALG, use: 'sig' };
}

/**
 * JSON text in which every character is printable ASCII other than `>`, `?` and `~`: anything else
 * (non-ASCII, DEL) is written as a \uXXXX escape. It parses to the same value. Encoded as base64url,
 * such text never contains `-` or `_` (a 6-bit group of 62 or 63 needs a byte that is non-ASCII or
 * one of > ? ~ DEL), so a browser can decode it with atob: the original frontend decodes token
 * payloads that way (COMPAT.md).
 */
export function asciiSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x3d\x40-\x7d]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const utf8 = new TextEncoder();

/**
 * A signer from a PKCS#8 PEM Ed25519 private key, or, without one, from a key generated now
 * (tokens then die with the process: fine for one process, wrong for several auth replicas).
 * `acceptedKeyPems` are further Ed25519 keys (public or private PEM) whose tokens stay valid: they
 * are published in the JWKS next to the signing key, so a key rotation logs nobody out.
 */
export async function createTokenSigner(
  settings: TokenSettings,
  privateKeyPem?: string,
  acceptedKeyPems: readonly string[] = [],
): Promise<TokenSigner> {
  const privateKey: KeyObject = privateKeyPem
    ? createPrivateKey(privateKeyPem)
    : generateKeyPairSync('ed25519').privateKey;
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the signing key must be an Ed25519 private key');
  const signing = await publish(createPublicKey(privateKey));
  const keys: PublishedJwk[] = [signing];
  for (const pem of acceptedKeyPems) {
    const jwk = await ed25519PublicJwk(pem);
    // The signing key's own file may sit among the accepted ones (one Secret holds them all).
    if (!keys.some((k) => k.kid === jwk.kid)) keys.push(jwk);
  }
  const published: JSONWebKeySet = { keys };
  const { kid } = signing;
  return {
    kid,
    jwks: () => published,
    sign: (principal, ttlSec, extraClaims = {}) => {
      const iat = Math.floor(Date.now() / 1000);
      const payload = {
        ...extraClaims,
        sub: principal.userId,
        name: principal.name,
        roles: principal.roles,
        iss: settings.issuer,
        aud: settings.audience,
        iat,
        exp: iat + ttlSec,
        jti: randomUUID(),
      } satisfies Record<(typeof STANDARD_CLAIMS)[number], unknown>;
      return new CompactSign(utf8.encode(asciiSafeJson(payload)))
        .setProtectedHeader({ alg: TOKEN_ALG, kid, typ: 'JWT' })
        .sign(privateKey);
    },
  };
}

/** The keys could not be fetched: the token may be fine, so this is no reason to log anyone out. */
export class TokenVerifierUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the token signing keys are unavailable', { cause });
    this.name = 'TokenVerifierUnavailableError';
  }
}

export interface TokenVerifier {
  /**
   * Resolves to the principal. Rejects with TokenVerifierUnavailableError when the JWKS cannot
   * be fetched, and with another error when the token is bad (malformed, bad signature,
   * expired, wrong iss/aud, unknown kid).
   */
  verify(token: string): Promise<Principal>;
}

export interface RemoteJwksOptions {
  /**
   * After a fetch, a token with an unknown kid is refused without refetching for this long (a flood
   * of made-up kids must not become a flood of fetches). Default 30 s.
   */
  cooldownMs?: number;
  /** The fetched key set is refetched when older than this. Default 10 min. */
  cacheMaxAgeMs?: number;
}

/**
 * Verifies through a JWKS: a URL (fetched, cached, refetched on an unknown kid, as jose's remote
 * set does) or a key set in hand (one process). Only EdDSA is accepted (never `none`, never an
 * HMAC keyed with a public key), and a token must carry sub, iat and exp.
 */
export function createTokenVerifier(settings: TokenSettings, keys: URL | JSONWebKeySet, options: RemoteJwksOptions = {}): TokenVerifier {
  const getKey: JWTVerifyGetKey =
    keys instanceof URL
      ? createRemoteJWKSet(keys, { cooldownDuration: options.cooldownMs ?? 30_000, cacheMaxAge: options.cacheMaxAgeMs ?? 600_000 })
      : createLocalJWKSet(keys);
  return {
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: [TOKEN_ALG],
          requiredClaims: ['sub', 'iat', 'exp'],
        }));
      } catch (err) {
        // jose reports a bad token with its own errors; anything else (a refused connection, a
        // JWKS timeout or an unparsable JWKS response) is the key server's trouble, not the token's.
        const keysUnavailable =
          !(err instanceof joseErrors.JOSEError) ||
          err instanceof joseErrors.JWKSTimeout ||
          err instanceof joseErrors.JWKSInvalid;
        throw keysUnavailable ? new TokenVerifierUnavailableError(err) : err;
      }
      if (typeof payload.sub !== 'string' || typeof payload.name !== 'string') throw new Error('token lacks sub or name');
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      return { userId: payload.sub, name: payload.name, roles };
    },
  };
}

/** Global admins: every moderation check lets them through, and they cannot be banned. */
export const isAdmin = (holder: { roles: readonly string[] }) => holder.roles.includes('admin');

/** The token of a request: `Authorization: Bearer <t>` first, then `?token=`. */
export function extractToken(authorization: string | undefined, queryToken: string | null | undefined): string | undefined {
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (match) return match[1];
  }
  return queryToken || undefined;
}

/** The role of a guest viewer's token (POST /api/v1/auth/guest): it may join and read, never send. */
export const GUEST_ROLE = 'guest';

/** A guest viewer: no account behind the token. */
export const isGuest = (holder: { roles: readonly string[] }) => holder.roles.includes(GUEST_ROLE);
