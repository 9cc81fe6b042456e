import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MemoryRefreshTokenStore } from './memory-refresh-token-store.ts';
import { MongoRefreshTokenStore } from './mongo-refresh-token-store.ts';
import { hashRefreshToken, type RefreshTokenStore } from './refresh-token-store.ts';

/** The test's clock: stores read it, tests move it forward. */
const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
const now = () => clock.now;
const DAY = 86_400;

interface Backend {
  /** Two stores on one backend, as two auth replicas would have. */
  stores: [RefreshTokenStore, RefreshTokenStore];
  db?: Db;
  close(): Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'memory',
    async () => {
      const store = new MemoryRefreshTokenStore({ now });
      return { stores: [store, store], close: async () => {} };
    },
  ],
  [
    'mongo',
    async () => {
      const dbName = `sessions_test_${process.pid}_${Date.now()}`;
      const clients = [new MongoClient(inject('mongoUrl')), new MongoClient(inject('mongoUrl'))];
      await Promise.all(clients.map((c) => c.connect()));
      const [a, b] = clients.map((c) => new MongoRefreshTokenStore(c.db(dbName), { now })) as [MongoRefreshTokenStore, MongoRefreshTokenStore];
      await a.init();
      await b.init();
      const db = clients[0]!.db(dbName);
      return {
        stores: [a, b],
        db,
        close: async () => {
          await db.dropDatabase();
          await Promise.all(clients.map((c) => c.close()));
        },
      };
    },
  ],
];

describe.each(backends)('the %s refresh token store', (kind, open) => {
  let backend: Backend;
  let store: RefreshTokenStore;
  let other: RefreshTokenStore;
  let n = 0;
  const user = () => `user${++n}`;

  beforeAll(async () => {
    backend = await open();
    [store, other] = backend.stores;
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('issues opaque 256-bit tokens in a new family per login', async () => {
    const u = user();
    const a = await store.issue(u, DAY);
    const b = await store.issue(u, DAY);
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.familyId).not.toBe(b.familyId);
    expect(a.expiresAt.getTime()).toBe(clock.now + DAY * 1000);
  });

  it('lets a token be used once, on any replica; the second use revokes the whole family', async () => {
    const u = user();
    const first = await store.issue(u, DAY);
    expect(await other.consume(first.token)).toEqual({ ok: true, userId: u, familyId: first.familyId });
    const second = await other.issue(u, DAY, first.familyId);
    expect(second.familyId).toBe(first.familyId);

    expect(await store.consume(first.token)).toEqual({ ok: false, reason: 'reused', userId: u, familyId: first.familyId });
    // The successor, never used, dies with its family.
    expect(await store.consume(second.token)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('lets exactly one of many concurrent uses of one token succeed', async () => {
    for (let round = 0; round < 5; round++) {
      const { token } = await store.issue(user(), DAY);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? store : other).consume(token)));
      const reasons = results.map((r) => (r.ok ? 'ok' : r.reason));
      expect(reasons.filter((r) => r === 'ok')).toHaveLength(1);
      // The losers saw either the use (reused) or the revocation it caused (revoked).
      expect(reasons.filter((r) => r !== 'ok').every((r) => r === 'reused' || r === 'revoked')).toBe(true);
      expect(reasons).toContain('reused');
    }
  });

  it('refuses an unknown token, and a token that is not even a token, without touching anything', async () => {
    expect(await store.consume('x'.repeat(43))).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.consume('')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.revokeToken('nope')).toBe(false);
  });

  it('checks expiry itself: an expired token is refused and its family is not revoked', async () => {
    const u = user();
    const issued = await store.issue(u, 60);
    const later = await store.issue(u, 600, issued.familyId);
    clock.now += 60_000;
    expect(await store.consume(issued.token)).toEqual({ ok: false, reason: 'expired', userId: u, familyId: issued.familyId });
    expect(await store.consume(later.token)).toMatchObject({ ok: true });
  });

  it('slides: each rotation lives its own TTL from when it is issued', async () => {
    const u = user();
    let current = await store.issue(u, 100);
    for (let i = 0; i < 3; i++) {
      clock.now += 90_000;
      expect(await store.consume(current.token)).toMatchObject({ ok: true });
      current = await store.issue(u, 100, current.familyId);
    }
    clock.now += 90_000;
    // The family lives as long as its latest token: a purge now must not take it.
    await store.purgeExpired();
    expect(await store.consume(current.token)).toMatchObject({ ok: true, familyId: current.familyId });
  });

  it('logout revokes the family of the token: the token and its successors', async () => {
    const u = user();
    const first = await store.issue(u, DAY);
    const other1 = await store.issue(u, DAY);
    expect(await store.consume(first.token)).toMatchObject({ ok: true });
    const next = await store.issue(u, DAY, first.familyId);
    expect(await other.revokeToken(first.token)).toBe(true);
    expect(await store.consume(next.token)).toMatchObject({ ok: false, reason: 'revoked' });
    // Another login of the same user is untouched.
    expect(await store.consume(other1.token)).toMatchObject({ ok: true });
  });

  it('revokes every family of one user and of no one else', async () => {
    const [u, v] = [user(), user()];
    const mine = [await store.issue(u, DAY), await store.issue(u, DAY), await store.issue(u, DAY)];
    const theirs = await store.issue(v, DAY);
    await store.revokeFamily(mine[2]!.familyId);
    expect(await other.revokeAllForUser(u)).toBe(2);
    for (const t of mine) expect(await store.consume(t.token)).toMatchObject({ ok: false, reason: 'revoked', userId: u });
    expect(await store.consume(theirs.token)).toMatchObject({ ok: true, userId: v });
    expect(await store.revokeAllForUser(u)).toBe(0);
    // A login after the revocation starts a live family.
    expect(await store.consume((await store.issue(u, DAY)).token)).toMatchObject({ ok: true });
  });

  it('purges what has expired and keeps the rest', async () => {
    const u = user();
    const old = await store.issue(u, 10);
    await store.consume(old.token);
    const fresh = await store.issue(u, 10 * DAY);
    clock.now += 11_000;
    expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await store.consume(old.token)).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.consume(fresh.token)).toMatchObject({ ok: true });
  });

  it.runIf(kind === 'mongo')('stores only the SHA-256 of a token, never the token', async () => {
    const { token, familyId } = await store.issue(user(), DAY);
    const db = backend.db!;
    const doc = await db.collection('refresh_tokens').findOne({ _id: hashRefreshToken(token) as never });
    expect(doc).toMatchObject({ familyId });
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
    for (const name of ['refresh_tokens', 'refresh_token_uses', 'refresh_families']) {
      const all = JSON.stringify(await db.collection(name).find().toArray());
      expect(all).not.toContain(token);
    }
  });

  it.runIf(kind === 'mongo')('survives init() again on existing data (a restart)', async () => {
    const { token } = await store.issue(user(), DAY);
    await store.init();
    expect(await store.consume(token)).toMatchObject({ ok: true });
  });
});
