import { ObjectId } from 'mongodb';
import {
  DuplicateUserError,
  emailKey,
  normalizeRoles,
  usernameKey,
  type NewUser,
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
}

/** Callers get their own copy: changing it must not change the store. */
const copy = (record: UserRecord): UserRecord => ({ ...record, roles: [...record.roles] });
