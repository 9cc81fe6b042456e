import { MongoServerError, ObjectId, type Collection, type Db } from 'mongodb';
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

interface UserDoc {
  _id: ObjectId;
  username: string;
  /** Lower-cased username: the unique index is on this, so `Alice` and `alice` clash. */
  usernameKey: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
  /** Global roles. Absent in documents written before roles existed: read as []. */
  roles?: string[];
  /** Profile and deactivation: absent in older documents, read as null. */
  displayName?: string | null;
  color?: string | null;
  avatarUrl?: string | null;
  deactivatedAt?: Date | null;
}

/** Accounts in the `users` collection, unique on usernameKey and email (both lower-cased). */
export class MongoUserStore implements UserStore {
  private readonly users: Collection<UserDoc>;
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
    this.users = db.collection<UserDoc>('users');
  }

  async init() {
    // One index per call: FerretDB 1.24 drops the connection when a single createIndexes names
    // several indexes that all exist already (every restart, or auth and user sharing the database).
    await this.users.createIndex({ usernameKey: 1 }, { name: 'usernameKey_unique', unique: true });
    await this.users.createIndex({ email: 1 }, { name: 'email_unique', unique: true });
  }

  async ping() {
    await this.db.command({ ping: 1 });
  }

  async create(user: NewUser): Promise<UserRecord> {
    const doc: UserDoc = {
      _id: new ObjectId(),
      username: user.username,
      usernameKey: usernameKey(user.username),
      email: emailKey(user.email),
      passwordHash: user.passwordHash,
      createdAt: new Date(),
      roles: normalizeRoles(user.roles),
    };
    try {
      await this.users.insertOne(doc);
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) throw new DuplicateUserError(await this.duplicateField(err, doc));
      throw err;
    }
    return toRecord(doc);
  }

  async findById(id: string) {
    if (!ObjectId.isValid(id) || id.length !== 24) return undefined;
    const doc = await this.users.findOne({ _id: new ObjectId(id) });
    return doc ? toRecord(doc) : undefined;
  }

  async findByLogin(login: string) {
    const filter = login.includes('@') ? { email: emailKey(login) } : { usernameKey: usernameKey(login) };
    const doc = await this.users.findOne(filter);
    return doc ? toRecord(doc) : undefined;
  }

  async setRoles(id: string, roles: readonly string[]) {
    return this.set(id, { roles: normalizeRoles(roles) });
  }

  async updateProfile(id: string, patch: ProfilePatch) {
    const fields: Partial<UserDoc> = {};
    if (patch.displayName !== undefined) fields.displayName = patch.displayName;
    if (patch.color !== undefined) fields.color = patch.color;
    if (patch.avatarUrl !== undefined) fields.avatarUrl = patch.avatarUrl;
    return Object.keys(fields).length > 0 ? this.set(id, fields) : this.findById(id);
  }

  async setPasswordHash(id: string, passwordHash: string) {
    return this.set(id, { passwordHash });
  }

  async setDeactivated(id: string, deactivated: boolean) {
    if (!deactivated) return this.set(id, { deactivatedAt: null });
    // Keep the first date when deactivated twice.
    if (!ObjectId.isValid(id) || id.length !== 24) return undefined;
    await this.users.updateOne({ _id: new ObjectId(id), deactivatedAt: { $in: [null] } }, { $set: { deactivatedAt: new Date() } });
    return this.findById(id);
  }

  async search(prefix: string, { limit, after }: { limit: number; after?: string }): Promise<UserPage> {
    const from = usernameKey(prefix);
    // A range on the unique index rather than a regex: no escaping, and it uses the index.
    const range: { $gte: string; $lt: string; $gt?: string } = { $gte: from, $lt: `${from}\uffff` };
    if (after !== undefined) range.$gt = after;
    const docs = await this.users.find({ usernameKey: range }).sort({ usernameKey: 1 }).limit(limit + 1).toArray();
    const users = docs.slice(0, limit).map(toRecord);
    const last = docs[limit - 1];
    return docs.length > limit && last ? { users, next: last.usernameKey } : { users };
  }

  private async set(id: string, fields: Partial<UserDoc>) {
    if (!ObjectId.isValid(id) || id.length !== 24) return undefined;
    const doc = await this.users.findOneAndUpdate({ _id: new ObjectId(id) }, { $set: fields }, { returnDocument: 'after' });
    return doc ? toRecord(doc) : undefined;
  }

  private async duplicateField(err: MongoServerError, doc: UserDoc): Promise<'username' | 'email'> {
    const pattern = (err.keyPattern ?? {}) as Record<string, unknown>;
    if ('email' in pattern) return 'email';
    if ('usernameKey' in pattern) return 'username';
    // FerretDB reports neither keyPattern nor the index name ("E11000 duplicate key error
    // collection: db.users"), so look for the clashing record; username first, as MemoryUserStore.
    const sameName = await this.users.findOne({ usernameKey: doc.usernameKey }, { projection: { _id: 1 } });
    return sameName ? 'username' : 'email';
  }
}

function toRecord(doc: UserDoc): UserRecord {
  return {
    id: doc._id.toHexString(),
    username: doc.username,
    email: doc.email,
    passwordHash: doc.passwordHash,
    createdAt: doc.createdAt,
    roles: Array.isArray(doc.roles) ? doc.roles.filter((r): r is string => typeof r === 'string') : [],
    displayName: doc.displayName ?? null,
    color: doc.color ?? null,
    avatarUrl: doc.avatarUrl ?? null,
    deactivatedAt: doc.deactivatedAt ?? null,
  };
}
