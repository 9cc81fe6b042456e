import type { RefreshTokenStore, TokenSigner, TokenVerifier, UserStore } from '@chatorbit/shared';
import type { Accounts } from '../accounts.ts';
import type { Cookies } from '../cookies.ts';
import type { SessionIssuer } from '../session-issuer.ts';
import type { AddressRateLimit } from '../throttle/login-throttle.ts';

/** What auth's routes work with, built once in buildAuthApp. */
export interface AuthRouteContext {
  users: UserStore;
  accounts: Accounts;
  issuer: SessionIssuer;
  sessions: RefreshTokenStore;
  signer: TokenSigner;
  /** Verifies access tokens (app.authenticate, authenticateCompat) against the signer's own keys, the published set: no JWKS round trip. */
  verifier: TokenVerifier;
  cookies: Cookies;
  /** The per-address limit on guest tokens; undefined when guest tokens are off. */
  guests: AddressRateLimit | undefined;
}
