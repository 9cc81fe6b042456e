import {
  AppError,
  DuplicateUserError,
  conflict,
  isGuest,
  type Principal,
  type RefreshTokenStore,
  type UserRecord,
  type UserStore,
} from '@chatorbit/shared';
import type { PasswordHasher } from './passwords/password-hasher.ts';
import { passwordProblem, usernameProblem } from './passwords/policy.ts';
import type { LoginThrottle } from './throttle/login-throttle.ts';

/** One answer for an unknown login and a wrong password alike, so responses do not reveal accounts. */
export const invalidLogin = () => new AppError(401, 'unauthorized', 'invalid login or password');
export const accountDeactivated = () => new AppError(403, 'account_deactivated', 'this account is deactivated');
export const guestHasNoAccount = () => new AppError(403, 'forbidden', 'a guest has no account');

export interface AccountsDeps {
  users: UserStore;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  sessions: RefreshTokenStore;
}

/** Sign-up, password checks and password changes: the rules both APIs (ours and the original frontend's) share. */
export class Accounts {
  private readonly deps: AccountsDeps;

  constructor(deps: AccountsDeps) {
    this.deps = deps;
  }

  /** A new account; 400 invalid_body when the password or username breaks the policy, 409 conflict when taken. */
  async signUp(input: { username: string; email: string; password: string }): Promise<UserRecord> {
    const problem = usernameProblem(input.username) ?? passwordProblem(input.password, input);
    if (problem) throw new AppError(400, 'invalid_body', problem);
    const passwordHash = await this.deps.passwords.hash(input.password);
    return this.deps.users.create({ username: input.username, email: input.email, passwordHash }).catch((err: unknown) => {
      throw err instanceof DuplicateUserError ? conflict(err.message) : err;
    });
  }

  /**
   * The account these credentials open. Throttled first (429, before any work). An unknown login
   * costs one password derivation too (against a dummy hash) and gets the same 401 as a wrong
   * password. A deactivated account gets 403 account_deactivated, but only with the right password:
   * that reveals nothing to someone who does not hold it.
   */
  async checkLogin(login: string, password: string, ip: string): Promise<UserRecord> {
    const attempt = await this.deps.throttle.attempt(login, ip);
    const user = await this.deps.users.findByLogin(login);
    const ok = await this.deps.passwords.verify(password, user?.passwordHash);
    if (!user || !ok) throw invalidLogin();
    await attempt.succeeded();
    if (user.deactivatedAt) throw accountDeactivated();
    return user;
  }

  /**
   * The account behind an access token that may change its password: 403 for a guest (no account),
   * 401 when the account is gone, 403 account_deactivated.
   */
  private async accountOf(principal: Principal): Promise<UserRecord> {
    if (isGuest(principal)) throw guestHasNoAccount();
    const user = await this.deps.users.findById(principal.userId);
    if (!user) throw new AppError(401, 'unauthorized', 'the account of this token no longer exists');
    if (user.deactivatedAt) throw accountDeactivated();
    return user;
  }

  /**
   * Replaces the password after checking the current one (throttled as a login under the username;
   * a wrong one is 403 forbidden), then revokes every refresh token of the account: every session
   * ends, this one included. Access tokens already issued live out their short lifetime.
   */
  async changePassword(principal: Principal, current: string, next: string, ip: string): Promise<void> {
    const user = await this.accountOf(principal);
    const problem = passwordProblem(next, user);
    if (problem) throw new AppError(400, 'invalid_body', problem);
    const attempt = await this.deps.throttle.attempt(user.username, ip);
    if (!(await this.deps.passwords.verify(current, user.passwordHash))) {
      throw new AppError(403, 'forbidden', 'the current password is wrong');
    }
    await attempt.succeeded();
    const updated = await this.deps.users.setPasswordHash(user.id, await this.deps.passwords.hash(next));
    if (!updated) throw new AppError(401, 'unauthorized', 'the account of this token no longer exists');
    await this.deps.sessions.revokeAllForUser(user.id);
  }
}
