import { ObjectId } from 'mongodb';
import {
  DuplicateUserError,
  emailKey,
  normalizeRoles,
  usernameKey,
  type NewUser,
  type ProfilePatch,
  type UserPage,
  type UserRecord,
  type UserStore,
} from './user-store.ts';

/** The embedded engine's accounts: lost when the process exits. */
export class MemoryUserStore implements UserStore {
  private readonly byId = new Map<string, UserRecord>();
  private readonly byUsername = new Map<string, UserRecord>();
  private readonly byEmail = new Map<string, UserRecord>();

  async init() {}

  async ping() {}

  async create(user: NewUser): Promise<UserRecord> {
    const uKey = usernameKey(user.username);
    const eKey = emailKey(user.email);
    if (this.byUsername.has(uKey)) throw new DuplicateUserError('username');
    if (this.byEmail.has(eKey)) throw new DuplicateUserError('email');
    const record: UserRecord = {
      username: user.username,
      email: eKey,
      passwordHash: user.passwordHash,
      roles: normalizeRoles(user.roles),
      id: new ObjectId().toHexString(),
      createdAt: new Date(),
      displayName: null,
      color: null,
      avatarUrl: null,
      deactivatedAt: null,
    };
    this.byId.set(record.id, record);
    this.byUsername.set(uKey, record);
    this.byEmail.set(eKey, record);
    return copy(record);
  }

  async findById(id: string) {
    const found = this.byId.get(id);
    return found && copy(found);
  }

  async findByLogin(login: string) {
    const found = login.includes('@') ? this.byEmail.get(emailKey(login)) : this.byUsername.get(usernameKey(login));
    return found && copy(found);
  }

  async setRoles(id: string, roles: readonly string[]) {
    const found = this.byId.get(id);
    if (!found) return undefined;
    // The three maps hold the same object, so one assignment updates every lookup.
    found.roles = normalizeRoles(roles);
    return copy(found);
  }

  async updateProfile(id: string, patch: ProfilePatch) {
    return this.update(id, (u) => {
      if (patch.displayName !== undefined) u.displayName = patch.displayName;
      if (patch.color !== undefined) u.color = patch.color;
      if (patch.avatarUrl !== undefined) u.avatarUrl = patch.avatarUrl;
    });
  }

  async setPasswordHash(id: string, passwordHash: string) {
    return this.update(id, (u) => {
      u.passwordHash = passwordHash;
    });
  }

  async setDeactivated(id: string, deactivated: boolean) {
    return this.update(id, (u) => {
      u.deactivatedAt = deactivated ? (u.deactivatedAt ?? new Date()) : null;
    });
  }

  async search(prefix: string, { limit, after }: { limit: number; after?: string }): Promise<UserPage> {
    const from = usernameKey(prefix);
    const keys = [...this.byUsername.keys()]
      .filter((k) => k.startsWith(from) && (after === undefined || k > after))
      .sort();
    const page = keys.slice(0, limit);
    const users = page.map((k) => copy(this.byUsername.get(k) as UserRecord));
    return keys.length > limit ? { users, next: page[page.length - 1] as string } : { users };
  }

  private update(id: string, change: (u: UserRecord) => void) {
    const found = this.byId.get(id);
    if (!found) return undefined;
    // The three maps hold the same object, so one change updates every lookup.
    change(found);
    return copy(found);
  }
}

/** Callers get their own copy: changing it must not change the store. */
const copy = (record: UserRecord): UserRecord => ({ ...record, roles: [...record.roles] });
