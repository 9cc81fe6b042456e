import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import {
  GUEST_ROLE,
  isAdmin,
  type IssuedRefreshToken,
  type Principal,
  type RefreshTokenStore,
  type TokenSigner,
  type UserRecord,
} from '@chatorbit/shared';
import { GUEST_NAME_PREFIX } from './passwords/policy.ts';

export interface SessionIssuerOptions {
  signer: TokenSigner;
  sessions: RefreshTokenStore;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  compatTokenTtlSec: number;
}

export interface IssuedSession {
  accessToken: string;
  refresh: IssuedRefreshToken;
}

/** The principal of an account's tokens: its current name and roles (read at every login and refresh). */
export const principalOf = (user: UserRecord): Principal => ({ userId: user.id, name: user.username, roles: user.roles });

/** Every token auth hands out. */
export class SessionIssuer {
  readonly accessTokenTtlSec: number;
  readonly refreshTokenTtlSec: number;
  readonly compatTokenTtlSec: number;
  private readonly signer: TokenSigner;
  private readonly sessions: RefreshTokenStore;

  constructor(options: SessionIssuerOptions) {
    this.signer = options.signer;
    this.sessions = options.sessions;
    this.accessTokenTtlSec = options.accessTokenTtlSec;
    this.refreshTokenTtlSec = options.refreshTokenTtlSec;
    this.compatTokenTtlSec = options.compatTokenTtlSec;
  }

  /**
   * An access token and a refresh token: the first of a new family (a login), or with `familyId`
   * the next of that family (a refresh).
   */
  async issue(user: UserRecord, familyId?: string): Promise<IssuedSession> {
    const refresh = await this.sessions.issue(user.id, this.refreshTokenTtlSec, familyId);
    const accessToken = await this.signer.sign(principalOf(user), this.accessTokenTtlSec);
    return { accessToken, refresh };
  }

  /**
   * A token for the original frontend (COMPAT.md): the standard claims, so every service accepts it,
   * plus user_id, email, username and isAdmin, which that frontend reads from the payload; 24 h by
   * default, as it cannot refresh.
   */
  compatToken(user: UserRecord): Promise<string> {
    return this.signer.sign(principalOf(user), this.compatTokenTtlSec, {
      user_id: user.id,
      email: user.email,
      username: user.username,
      isAdmin: isAdmin(user),
    });
  }

  /** A guest viewer's token: roles ['guest'], a fresh id and name, no account and no refresh token. */
  async guestToken(): Promise<{ accessToken: string; guest: Principal }> {
    const guest: Principal = {
      userId: new ObjectId().toHexString(),
      name: `${GUEST_NAME_PREFIX}${randomBytes(3).toString('hex')}`,
      roles: [GUEST_ROLE],
    };
    return { accessToken: await this.signer.sign(guest, this.accessTokenTtlSec), guest };
  }
}
