import {
  hashRefreshToken,
  newFamilyId,
  newRefreshToken,
  type Clock,
  type ConsumeResult,
  type IssuedRefreshToken,
  type RefreshTokenStore,
} from './refresh-token-store.ts';

interface TokenEntry {
  familyId: string;
  userId: string;
  expiresAt: number;
  used: boolean;
}

interface FamilyEntry {
  userId: string;
  expiresAt: number;
  revoked: boolean;
}

/** The embedded engine's refresh tokens: lost when the process exits. Everything here is synchronous, hence atomic. */
export class MemoryRefreshTokenStore implements RefreshTokenStore {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly families = new Map<string, FamilyEntry>();
  private readonly now: Clock;

  constructor(options: { now?: Clock } = {}) {
    this.now = options.now ?? Date.now;
  }

  async init() {}

  async ping() {}

  async issue(userId: string, ttlSec: number, familyId = newFamilyId()): Promise<IssuedRefreshToken> {
    const token = newRefreshToken();
    const expiresAt = this.now() + ttlSec * 1000;
    const family = this.families.get(familyId);
    if (family) family.expiresAt = Math.max(family.expiresAt, expiresAt);
    else this.families.set(familyId, { userId, expiresAt, revoked: false });
    this.tokens.set(hashRefreshToken(token), { familyId, userId, expiresAt, used: false });
    return { token, familyId, expiresAt: new Date(expiresAt) };
  }

  async consume(token: string): Promise<ConsumeResult> {
    const entry = this.tokens.get(hashRefreshToken(token));
    if (!entry) return { ok: false, reason: 'unknown' };
    const { userId, familyId } = entry;
    if (entry.expiresAt <= this.now()) return { ok: false, reason: 'expired', userId, familyId };
    if (this.families.get(familyId)?.revoked !== false) return { ok: false, reason: 'revoked', userId, familyId };
    if (entry.used) {
      await this.revokeFamily(familyId);
      return { ok: false, reason: 'reused', userId, familyId };
    }
    entry.used = true;
    return { ok: true, userId, familyId };
  }

  async revokeToken(token: string) {
    const entry = this.tokens.get(hashRefreshToken(token));
    if (!entry) return false;
    await this.revokeFamily(entry.familyId);
    return true;
  }

  async revokeFamily(familyId: string) {
    const family = this.families.get(familyId);
    if (family) family.revoked = true;
  }

  async revokeAllForUser(userId: string) {
    let n = 0;
    for (const family of this.families.values()) {
      if (family.userId === userId && !family.revoked) {
        family.revoked = true;
        n++;
      }
    }
    return n;
  }

  async purgeExpired() {
    const now = this.now();
    let n = 0;
    for (const [hash, entry] of this.tokens) {
      if (entry.expiresAt <= now) {
        this.tokens.delete(hash);
        n++;
      }
    }
    for (const [id, family] of this.families) if (family.expiresAt <= now) this.families.delete(id);
    return n;
  }
}
