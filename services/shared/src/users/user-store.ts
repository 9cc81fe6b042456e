/**
 * Roles an account holds across the whole service, as opposed to a room's. The one list of them;
 * access tokens carry an account's roles in their `roles` claim.
 */
export const globalRoles = ['admin'] as const;
export type GlobalRole = (typeof globalRoles)[number];

/** A stored account. `id` is a 24-hex ObjectId string everywhere (the original frontend relies on it). */
export interface UserRecord {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
  /**
   * Global roles, without duplicates. Kept as stored: a role this version does not know (written
   * by a newer one) is passed on, not dropped. Accounts stored before roles existed have [].
   */
  roles: string[];
  /** Profile, set by the user: null when never set. */
  displayName: string | null;
  /** `#rrggbb`, or null. */
  color: string | null;
  /** An https URL, or null. */
  avatarUrl: string | null;
  /** When an admin deactivated the account; null while it is active. */
  deactivatedAt: Date | null;
}

/** The fields of an account its owner may change; null clears one, undefined leaves it. */
export interface ProfilePatch {
  displayName?: string | null;
  color?: string | null;
  avatarUrl?: string | null;
}

/** One page of a username search: `next` is the cursor of the following page, if any. */
export interface UserPage {
  users: UserRecord[];
  next?: string;
}

/** A new account; without `roles` it has none. */
export type NewUser = Pick<UserRecord, 'username' | 'email' | 'passwordHash'> & { roles?: readonly string[] };

/** The public view of an account. Roles are not part of it. */
export interface PublicUser {
  id: string;
  username: string;
  displayName: string | null;
  color: string | null;
  avatarUrl: string | null;
  createdAt: string;
  /** Present (true) only on deactivated accounts. */
  deactivated?: true;
}

export const toPublicUser = (u: UserRecord): PublicUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  color: u.color,
  avatarUrl: u.avatarUrl,
  createdAt: u.createdAt.toISOString(),
  ...(u.deactivatedAt ? { deactivated: true as const } : {}),
});

export class DuplicateUserError extends Error {
  readonly field: 'username' | 'email';
  constructor(field: 'username' | 'email') {
    super(`${field} is already taken`);
    this.name = 'DuplicateUserError';
    this.field = field;
  }
}

/**
 * Accounts, shared by auth (writes) and user (reads). Usernames and emails are unique
 * case-insensitively; `create` throws DuplicateUserError naming the field that clashed, and
 * stores nothing in that case.
 */
export interface UserStore {
  init(): Promise<void>;
  create(user: NewUser): Promise<UserRecord>;
  findById(id: string): Promise<UserRecord | undefined>;
  /** `login` is a username or an email address (it contains `@`). */
  findByLogin(login: string): Promise<UserRecord | undefined>;
  /**
   * Replaces the account's roles (duplicates dropped) and returns the updated account, or
   * undefined if there is no account `id`. The list is written whole: two concurrent calls with
   * different lists leave the last one, so read, change and write only where that is acceptable.
   */
  setRoles(id: string, roles: readonly string[]): Promise<UserRecord | undefined>;
  /** Applies a profile patch (values already validated); undefined if there is no account `id`. */
  updateProfile(id: string, patch: ProfilePatch): Promise<UserRecord | undefined>;
  /** Replaces the password hash; undefined if there is no account `id`. */
  setPasswordHash(id: string, passwordHash: string): Promise<UserRecord | undefined>;
  /** Deactivates (true) or reactivates (false) an account; undefined if there is no account `id`. */
  setDeactivated(id: string, deactivated: boolean): Promise<UserRecord | undefined>;
  /**
   * Accounts whose username starts with `prefix` (case-insensitive), in username order, `limit`
   * per page; `after` is the `next` of the previous page.
   */
  search(prefix: string, options: { limit: number; after?: string }): Promise<UserPage>;
  ping(): Promise<void>;
}

/** Roles as stored: each once, in the order first given. */
export const normalizeRoles = (roles: readonly string[] | undefined): string[] => [...new Set(roles ?? [])];

export const usernameKey = (username: string) => username.toLowerCase();
export const emailKey = (email: string) => email.trim().toLowerCase();
