import {
  errors as joseErrors,
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

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

export interface TokenSigner {
  readonly kid: string;
  sign(principal: Principal, ttlSec: number): Promise<string>;
  /** The public keys tokens may be verified with (published at /.well-known/jwks.json). */
  jwks(): JSONWebKeySet;
}

/**
 * A signer from a PKCS#8 PEM Ed25519 private key, or, without one, from a key generated now
 * (tokens then die with the process: fine for one process, wrong for several auth replicas).
 */
export async function createTokenSigner(settings: TokenSettings, privateKeyPem?: string): Promise<TokenSigner> {
  const privateKey: KeyObject = privateKeyPem
    ? createPrivateKey(privateKeyPem)
    : generateKeyPairSync('ed25519').privateKey;
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the signing key must be an Ed25519 private key');
  const publicJwk: JWK = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(publicJwk);
  const published: JSONWebKeySet = { keys: [{ ...publicJwk, kid, alg: TOKEN_ALG, use: 'sig' }] };
  return {
    kid,
    jwks: () => published,
    sign: (principal, ttlSec) =>
      new SignJWT({ name: principal.name, roles: principal.roles })
        .setProtectedHeader({ alg: TOKEN_ALG, kid, typ: 'JWT' })
        .setSubject(principal.userId)
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSec}s`)
        .setJti(crypto.randomUUID())
        .sign(privateKey),
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

/**
 * Verifies through a JWKS: a URL (fetched, cached, refetched on an unknown kid, as jose's remote
 * set does) or a key set in hand (one process).
 */
export function createTokenVerifier(settings: TokenSettings, keys: URL | JSONWebKeySet): TokenVerifier {
  const getKey: JWTVerifyGetKey =
    keys instanceof URL ? createRemoteJWKSet(keys, { cooldownDuration: 30_000 }) : createLocalJWKSet(keys);
  return {
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: [TOKEN_ALG],
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
