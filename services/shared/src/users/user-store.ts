/** A stored account. `id` is a 24-hex ObjectId string everywhere (the original frontend relies on it). */
export interface UserRecord {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
}

export type NewUser = Omit<UserRecord, 'id' | 'createdAt'>;

/** The public view of an account. */
export interface PublicUser {
  id: string;
  username: string;
  createdAt: string;
}

export const toPublicUser = (u: UserRecord): PublicUser => ({
  id: u.id,
  username: u.username,
  createdAt: u.createdAt.toISOString(),
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
  ping(): Promise<void>;
}

export const usernameKey = (username: string) => username.toLowerCase();
export const emailKey = (email: string) => email.trim().toLowerCase();
