export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** Usernames that begin so are the names of guest tokens (POST /api/v1/auth/guest), never of an account. */
export const GUEST_NAME_PREFIX = 'guest-';

/**
 * What is wrong with a password for this account, or undefined: 8–256 characters, and not the
 * username or the email address (ignoring case). The same rule on every route that sets a
 * password, the original frontend's included (it asked for 6; see the README).
 */
export function passwordProblem(password: string, account: { username: string; email?: string }): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (lower === account.username.toLowerCase()) return 'password must not equal the username';
  if (account.email !== undefined && lower === account.email.trim().toLowerCase()) return 'password must not equal the email address';
  return undefined;
}

/** What is wrong with a new username beyond its pattern, or undefined. */
export function usernameProblem(username: string): string | undefined {
  if (username.toLowerCase().startsWith(GUEST_NAME_PREFIX)) return `usernames beginning with "${GUEST_NAME_PREFIX}" are reserved for guests`;
  return undefined;
}
