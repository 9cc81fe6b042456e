import { ConfigError, DuplicateUserError, type GlobalRole, type UserRecord, type UserStore } from '@chatorbit/shared';
import { adminAccount, type AuthConfig } from './config.ts';
import type { PasswordHasher } from './passwords/password-hasher.ts';

const ADMIN: GlobalRole = 'admin';

export type AdminConfig = Pick<AuthConfig, 'ADMIN_USERNAME' | 'ADMIN_PASSWORD' | 'ADMIN_EMAIL'>;

/** What ensureAdmin logs to; a Fastify (pino) logger is one. */
export interface AdminLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

/**
 * Makes sure the admin account the configuration names (ADMIN_USERNAME) exists and holds the
 * admin role; without one configured it does nothing and resolves to undefined. There is no
 * default admin.
 *
 * Runs at every start of every auth replica, so it is idempotent and several replicas may run it
 * at once: when another one creates the account between this one's read and insert, the insert's
 * duplicate error is taken as "it exists now" and the account is re-read. An existing account
 * keeps its password: ADMIN_PASSWORD is only the password an account is created with.
 *
 * Rejects with a ConfigError for half-set admin settings, or when the admin's email belongs to
 * another account.
 */
export async function ensureAdmin(
  users: UserStore,
  hasher: PasswordHasher,
  config: AdminConfig,
  log: AdminLog,
): Promise<UserRecord | undefined> {
  const admin = adminAccount(config);
  if (!admin) return undefined;

  const existing = await users.findByLogin(admin.username);
  if (existing) return promote(users, hasher, existing, admin.password, log);

  const passwordHash = await hasher.hash(admin.password);
  try {
    const created = await users.create({ username: admin.username, email: admin.email, passwordHash, roles: [ADMIN] });
    log.info({ userId: created.id, username: created.username }, 'created the admin account ADMIN_USERNAME');
    return created;
  } catch (err) {
    if (!(err instanceof DuplicateUserError)) throw err;
    // Which index clashed is not reliable when both would (FerretDB names neither), so look the
    // username up again: found, another replica won the race; not found, the email is someone else's.
    const raced = await users.findByLogin(admin.username);
    if (!raced) throw new ConfigError('ADMIN_EMAIL', `(${admin.email}) is already the email of another account`);
    return promote(users, hasher, raced, admin.password, log);
  }
}

/**
 * An existing account becomes admin only when its password is ADMIN_PASSWORD: otherwise whoever
 * signed up first under that name would be handed the admin role.
 */
async function promote(users: UserStore, hasher: PasswordHasher, user: UserRecord, password: string, log: AdminLog): Promise<UserRecord> {
  const fields = { userId: user.id, username: user.username };
  if (user.roles.includes(ADMIN)) {
    log.info(fields, 'the admin account ADMIN_USERNAME exists; its password is left as it is (ADMIN_PASSWORD is used only to create it)');
    return user;
  }
  if (!(await hasher.verify(password, user.passwordHash))) {
    throw new ConfigError(
      'ADMIN_USERNAME',
      `names an existing account (${user.username}) whose password is not ADMIN_PASSWORD: it is not made admin; pick another name, or set ADMIN_PASSWORD to that account's password`,
    );
  }
  const updated = await users.setRoles(user.id, [...user.roles, ADMIN]);
  if (!updated) throw new Error(`account ${user.id} (ADMIN_USERNAME) vanished while being given the admin role`);
  log.warn(fields, 'gave the existing account ADMIN_USERNAME the admin role (its password is ADMIN_PASSWORD)');
  return updated;
}
