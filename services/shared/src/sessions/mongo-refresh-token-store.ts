import { MongoServerError, type Collection, type Db } from 'mongodb';
import {
  hashRefreshToken,
  newFamilyId,
  newRefreshToken,
  type Clock,
  type ConsumeResult,
  type IssuedRefreshToken,
  type RefreshTokenStore,
} from './refresh-token-store.ts';

/** `refresh_tokens`: one per token ever issued, by the SHA-256 of the token. */
interface TokenDoc {
  _id: string;
  familyId: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
}

/** `refresh_token_uses`: one per token used. Its unique _id is what makes a use happen at most once. */
interface UseDoc {
  _id: string;
  usedAt: Date;
  expiresAt: Date;
}

/** `refresh_families`: one per login; revoking it revokes every token rotated out of that login. */
interface FamilyDoc {
  _id: string;
  userId: string;
  createdAt: Date;
  /** The expiry of the family's latest token: the family is dead after it. */
  expiresAt: Date;
  revokedAt: Date | null;
}

/**
 * Refresh tokens in MongoDB (and FerretDB): no transactions, no TTL index. A token is used up by
 * inserting its hash into `refresh_token_uses`: of concurrent inserts of one _id exactly one
 * succeeds, on MongoDB and on FerretDB alike (a conditional findOneAndUpdate or updateOne is not
 * atomic on FerretDB 1.x: several concurrent callers all "win").
 */
export class MongoRefreshTokenStore implements RefreshTokenStore {
  private readonly db: Db;
  private readonly tokens: Collection<TokenDoc>;
  private readonly uses: Collection<UseDoc>;
  private readonly families: Collection<FamilyDoc>;
  private readonly now: Clock;

  constructor(db: Db, options: { now?: Clock } = {}) {
    this.db = db;
    this.tokens = db.collection<TokenDoc>('refresh_tokens');
    this.uses = db.collection<UseDoc>('refresh_token_uses');
    this.families = db.collection<FamilyDoc>('refresh_families');
    this.now = options.now ?? Date.now;
  }

  async init() {
    // One index per call (FerretDB 1.24 drops the connection on a createIndexes naming several existing ones).
    await this.families.createIndex({ userId: 1 }, { name: 'userId' });
    await this.families.createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
    await this.tokens.createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
    await this.uses.createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
  }

  async ping() {
    await this.db.command({ ping: 1 });
  }

  async issue(userId: string, ttlSec: number, familyId?: string): Promise<IssuedRefreshToken> {
    const token = newRefreshToken();
    const createdAt = new Date(this.now());
    const expiresAt = new Date(createdAt.getTime() + ttlSec * 1000);
    const family = familyId ?? newFamilyId();
    if (familyId) {
      await this.families.updateOne({ _id: familyId }, { $max: { expiresAt } });
    } else {
      await this.families.insertOne({ _id: family, userId, createdAt, expiresAt, revokedAt: null });
    }
    await this.tokens.insertOne({ _id: hashRefreshToken(token), familyId: family, userId, createdAt, expiresAt });
    return { token, familyId: family, expiresAt };
  }

  async consume(token: string): Promise<ConsumeResult> {
    const hash = hashRefreshToken(token);
    const doc = await this.tokens.findOne({ _id: hash });
    if (!doc) return { ok: false, reason: 'unknown' };
    const { userId, familyId } = doc;
    const now = new Date(this.now());
    if (doc.expiresAt <= now) return { ok: false, reason: 'expired', userId, familyId };
    const family = await this.families.findOne({ _id: familyId });
    if (!family || family.revokedAt) return { ok: false, reason: 'revoked', userId, familyId };
    try {
      await this.uses.insertOne({ _id: hash, usedAt: now, expiresAt: doc.expiresAt });
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      await this.revokeFamily(familyId);
      return { ok: false, reason: 'reused', userId, familyId };
    }
    // A revocation that lands after the check above still catches the successor: every use checks the family.
    return { ok: true, userId, familyId };
  }

  async revokeToken(token: string) {
    const doc = await this.tokens.findOne({ _id: hashRefreshToken(token) }, { projection: { familyId: 1 } });
    if (!doc) return false;
    await this.revokeFamily(doc.familyId);
    return true;
  }

  async revokeFamily(familyId: string) {
    await this.families.updateOne({ _id: familyId, revokedAt: null }, { $set: { revokedAt: new Date(this.now()) } });
  }

  async revokeAllForUser(userId: string) {
    const res = await this.families.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date(this.now()) } });
    return res.modifiedCount;
  }

  async purgeExpired() {
    const expired = { expiresAt: { $lte: new Date(this.now()) } };
    const { deletedCount } = await this.tokens.deleteMany(expired);
    await this.uses.deleteMany(expired);
    await this.families.deleteMany(expired);
    return deletedCount;
  }
}
