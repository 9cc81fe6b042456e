import { createHash, randomBytes } from 'node:crypto';

/** A refresh token as handed to its holder: the only time the token itself exists outside the client. */
export interface IssuedRefreshToken {
  /** 32 random bytes, base64url (43 characters). Only its SHA-256 is stored. */
  token: string;
  /** The session: every token rotated out of one login shares it. */
  familyId: string;
  expiresAt: Date;
}

/** Why a refresh token was refused. */
export const refreshRefusals = ['unknown', 'expired', 'revoked', 'reused'] as const;
export type RefreshRefusal = (typeof refreshRefusals)[number];

/**
 * What presenting a refresh token did. `ok`: the token is now used (it can never be used again) and
 * the caller issues its successor in the same family. `reused`: the token had been used already, so
 * a copy of it is in someone else's hands: its whole family is now revoked.
 */
export type ConsumeResult =
  | { ok: true; userId: string; familyId: string }
  | { ok: false; reason: RefreshRefusal; userId?: string; familyId?: string };

/**
 * Opaque, rotated refresh tokens, stored hashed. A token is good for one use before its expiry,
 * while its family (the session it belongs to) is not revoked. Expiry is checked here, in code:
 * nothing relies on a TTL index (FerretDB has none); purgeExpired deletes what has expired.
 */
export interface RefreshTokenStore {
  init(): Promise<void>;
  /** A new token for `userId` living `ttlSec`: in `familyId` when given (a rotation), else in a new family (a login). */
  issue(userId: string, ttlSec: number, familyId?: string): Promise<IssuedRefreshToken>;
  /**
   * Uses the token up. Of several concurrent calls with one token at most one gets `ok`; the others
   * get `reused` (and the family is revoked), on every backend.
   */
  consume(token: string): Promise<ConsumeResult>;
  /** Revokes the family of `token` (a logout); false when the token is unknown. */
  revokeToken(token: string): Promise<boolean>;
  revokeFamily(familyId: string): Promise<void>;
  /** Revokes every family of the user (logout everywhere, a password change, a deactivation); resolves to how many it revoked. */
  revokeAllForUser(userId: string): Promise<number>;
  /** Deletes tokens and families past their expiry; resolves to the number of tokens deleted. */
  purgeExpired(): Promise<number>;
  ping(): Promise<void>;
}

/** Hex SHA-256 of a token: what is stored and looked up. The token is 256 random bits, so no salt or slow hash is needed. */
export const hashRefreshToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export const newRefreshToken = () => randomBytes(32).toString('base64url');

export const newFamilyId = () => randomBytes(16).toString('hex');

/** The store's clock (ms); tests pass their own. */
export type Clock = () => number;
